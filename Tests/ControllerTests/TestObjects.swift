// Plain Kubernetes objects for the translation tests.
import KubeClient

enum TestObjects {
    static func service(_ name: String, namespace: String = "edge", annotations: [String: String]? = nil,
                        ports: [ServicePort] = [ServicePort(name: "grpc", port: 50051, targetPort: .int(9000))],
                        created: String? = "2025-06-01T10:00:00Z", uid: String? = nil) -> Service {
        var meta = ObjectMeta(name: name, namespace: namespace, annotations: annotations)
        meta.creationTimestamp = created.map { KubeTime(rawValue: $0) }
        meta.uid = uid
        return Service(metadata: meta, spec: ServiceSpec(ports: ports))
    }

    /// A Service exposing `grpc` services, plus extra annotations.
    static func exposed(_ name: String, namespace: String = "edge", grpc: String = "api.Echo",
                        _ extra: [String: String] = [:], ports: [ServicePort] = [ServicePort(name: "grpc", port: 50051, targetPort: .int(9000))],
                        created: String? = "2025-06-01T10:00:00Z") -> Service {
        var annotations = ["portico.dev/expose": "true", "portico.dev/grpc-services": grpc]
        annotations.merge(extra) { $1 }
        return service(name, namespace: namespace, annotations: annotations, ports: ports, created: created)
    }

    static func slice(_ name: String, service: String, namespace: String = "edge", addressType: String? = "IPv4",
                      ports: [EndpointPort]? = [EndpointPort(name: "grpc", port: 9000)],
                      _ endpoints: [Endpoint]) -> EndpointSlice {
        EndpointSlice(metadata: ObjectMeta(name: name, namespace: namespace,
                                           labels: [EndpointSlice.serviceNameLabel: service]),
                      addressType: addressType, endpoints: endpoints, ports: ports)
    }

    static func endpoint(_ address: String, ready: Bool? = true, serving: Bool? = nil, terminating: Bool? = nil,
                         pod: String? = nil) -> Endpoint {
        Endpoint(addresses: [address], conditions: EndpointConditions(ready: ready, serving: serving, terminating: terminating),
                 targetRef: pod.map { ObjectReference(kind: "Pod", name: $0) }, nodeName: "node-a", zone: "zone-a")
    }
}
