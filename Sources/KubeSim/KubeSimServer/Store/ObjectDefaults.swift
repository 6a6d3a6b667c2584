// Server-side defaults the real API applies on create, for the fields kubectl shows.
import Foundation
import KubeClient

enum ObjectDefaults {
    /// Fills the metadata the server owns on create.
    static func stampCreated(_ object: inout JSONValue, resource: ServedResource) {
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        object[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
        object[path: ["metadata", "creationTimestamp"]] = .string(KubeTime(Date()).rawValue)
        if resource == .endpointSlices { object[path: ["metadata", "generation"]] = .int(1) }
        if object[path: ["metadata", "deletionTimestamp"]] != nil { object[path: ["metadata", "deletionTimestamp"]] = nil }
    }

    /// Kind-specific defaults (ClusterIP allocation, port protocols, namespace phase).
    static func applyDefaults(_ object: inout JSONValue, resource: ServedResource, state: inout StoreState) {
        switch resource {
        case .services: defaultService(&object, state: &state)
        case .endpointSlices:
            if var ports = object["ports"]?.arrayValue {
                for index in ports.indices where ports[index]["protocol"] == nil { ports[index]["protocol"] = .string("TCP") }
                object["ports"] = .array(ports)
            }
        case .namespaces:
            if object[path: ["spec", "finalizers"]] == nil { object[path: ["spec", "finalizers"]] = .array([.string("kubernetes")]) }
            object[path: ["status", "phase"]] = .string("Active")
        default: break
        }
    }

    private static func defaultService(_ object: inout JSONValue, state: inout StoreState) {
        if object["spec"] == nil { object["spec"] = .object([:]) }
        let type = object[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
        object[path: ["spec", "type"]] = .string(type)
        if type != "ExternalName" {
            if object[path: ["spec", "clusterIP"]]?.stringValue?.isEmpty ?? true {
                object[path: ["spec", "clusterIP"]] = .string(state.allocateClusterIP())
            }
            if object[path: ["spec", "clusterIPs"]] == nil, let ip = object[path: ["spec", "clusterIP"]] {
                object[path: ["spec", "clusterIPs"]] = .array([ip])
            }
            if object[path: ["spec", "sessionAffinity"]] == nil { object[path: ["spec", "sessionAffinity"]] = .string("None") }
        }
        if var ports = object[path: ["spec", "ports"]]?.arrayValue {
            for index in ports.indices {
                if ports[index]["protocol"] == nil { ports[index]["protocol"] = .string("TCP") }
                if ports[index]["targetPort"] == nil, let port = ports[index]["port"] { ports[index]["targetPort"] = port }
            }
            object[path: ["spec", "ports"]] = .array(ports)
        }
        if object["status"] == nil { object["status"] = .object(["loadBalancer": .object([:])]) }
    }
}
