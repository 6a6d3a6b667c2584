// Services and EndpointSlices as KubeSim takes them, for the controller tests.
import Foundation

enum ControllerObjects {
    static let namespace = "default"

    static func service(_ name: String, annotations: [String: String]? = nil, port: Int) -> [String: Any] {
        var metadata: [String: Any] = ["name": name, "namespace": namespace]
        if let annotations { metadata["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Service", "metadata": metadata,
                "spec": ["ports": [["name": "grpc", "port": 50051, "targetPort": port]]]]
    }

    static func exposed(_ grpcServices: String, _ extra: [String: String] = [:]) -> [String: String] {
        ["portico.dev/expose": "true", "portico.dev/grpc-services": grpcServices].merging(extra) { $1 }
    }

    /// One endpoint: address plus the three conditions.
    struct Pod {
        var address: String
        var ready = true
        var serving = true
        var terminating = false
        var json: [String: Any] {
            ["addresses": [address], "conditions": ["ready": ready, "serving": serving, "terminating": terminating],
             "targetRef": ["kind": "Pod", "namespace": ControllerObjects.namespace, "name": "pod-\(address)"]]
        }
    }

    /// A slice of `service`; its port carries the Service port's name, as the
    /// EndpointSlice controller writes it.
    static func slice(_ name: String, service: String, portName: String = "grpc", port: Int,
                      _ pods: [Pod]) -> [String: Any] {
        ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": ["name": name, "namespace": namespace, "labels": ["kubernetes.io/service-name": service]],
         "addressType": "IPv4",
         "ports": [["name": portName, "port": port, "protocol": "TCP"]],
         "endpoints": pods.map(\.json)]
    }
}
