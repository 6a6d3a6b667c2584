// Why a Service was left out of the membership, for logs and Kubernetes Events.
import KubeClient

/// Identifies the Service a problem is about (the Event's involvedObject).
public struct ServiceReference: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Namespace of the Service.
    public var namespace: String
    /// Name of the Service.
    public var name: String
    /// UID of the Service, when known, so the Event points at this incarnation.
    public var uid: String?

    /// Creates a reference.
    public init(namespace: String, name: String, uid: String? = nil) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    /// The reference of a Service object.
    public init(_ service: Service) {
        self.init(namespace: service.metadata.namespace ?? "default", name: service.metadata.name ?? "",
                  uid: service.metadata.uid)
    }

    /// `namespace/name`, also the membership cluster name.
    public var description: String { "\(namespace)/\(name)" }

    public static func < (a: ServiceReference, b: ServiceReference) -> Bool {
        (a.namespace, a.name) < (b.namespace, b.name)
    }
}

/// A Service the translation had to skip, and why.
public struct TranslationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The Kubernetes Event reason of a problem.
    public enum Reason: String, Sendable, Hashable {
        /// A `portico.dev/` annotation is missing, malformed or contradicts the Service.
        case invalidAnnotation = "InvalidAnnotation"
        /// Another (older) Service already serves one of the gRPC services.
        case grpcServiceConflict = "GRPCServiceConflict"
    }

    /// The skipped Service.
    public var service: ServiceReference
    /// Machine-readable reason.
    public var reason: Reason
    /// What is wrong, in words a user can act on.
    public var message: String

    /// Creates a problem.
    public init(service: ServiceReference, reason: Reason, message: String) {
        self.service = service
        self.reason = reason
        self.message = message
    }

    public var description: String { "Service \(service): \(reason.rawValue): \(message)" }
}
