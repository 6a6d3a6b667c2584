// core/v1 Service: the fields the controller translates.

/// A `v1` Service.
public struct Service: KubeResource {
    /// Where this kind is served.
    public static let resourceType = ResourceType(group: "", version: "v1", kind: "Service", plural: "services", isNamespaced: true)

    /// `apiVersion` as sent (absent on list items).
    public var apiVersion: String?
    /// `kind` as sent (absent on list items).
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired behaviour.
    public var spec: ServiceSpec?

    /// Creates a Service.
    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// `spec` of a Service.
public struct ServiceSpec: Codable, Sendable, Hashable {
    /// `ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`.
    public var type: String?
    /// The virtual IP, or `None` for a headless Service.
    public var clusterIP: String?
    /// All virtual IPs (dual stack).
    public var clusterIPs: [String]?
    /// Ports the Service exposes.
    public var ports: [ServicePort]?
    /// Pods selected as endpoints.
    public var selector: [String: String]?
    /// Whether not-ready pods are published as endpoints.
    public var publishNotReadyAddresses: Bool?

    /// Creates a spec.
    public init(type: String? = nil, clusterIP: String? = nil, ports: [ServicePort]? = nil, selector: [String: String]? = nil) {
        self.type = type
        self.clusterIP = clusterIP
        self.ports = ports
        self.selector = selector
    }
}

/// One port of a Service.
public struct ServicePort: Codable, Sendable, Hashable {
    /// Name, required when there is more than one port.
    public var name: String?
    /// The Service's port number.
    public var port: Int
    /// The pods' port: a number or a container port name; defaults to ``port``.
    public var targetPort: IntOrString?
    /// `TCP` (the default), `UDP` or `SCTP`.
    public var `protocol`: String?
    /// Application protocol, e.g. `kubernetes.io/h2c` or `grpc`.
    public var appProtocol: String?
    /// Node port for NodePort and LoadBalancer Services.
    public var nodePort: Int?

    /// Creates a port.
    public init(name: String? = nil, port: Int, targetPort: IntOrString? = nil, protocol: String? = nil, appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}
