// Small builders for the objects tests create.
import KubeClient

func makeService(_ name: String, namespace: String = "edge", labels: [String: String]? = nil) -> Service {
    Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
            spec: ServiceSpec(ports: [ServicePort(name: "grpc", port: 50051, targetPort: .string("grpc"))], selector: ["app": name]))
}

func makeSlice(_ name: String, service: String, namespace: String = "edge", addresses: [String],
               conditions: EndpointConditions = EndpointConditions(ready: true, serving: true, terminating: false)) -> EndpointSlice {
    EndpointSlice(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: [EndpointSlice.serviceNameLabel: service]),
        endpoints: addresses.map { Endpoint(addresses: [$0], conditions: conditions, nodeName: "node-a", zone: "zone-a") },
        ports: [EndpointPort(name: "grpc", port: 50051, appProtocol: "kubernetes.io/h2c")])
}
