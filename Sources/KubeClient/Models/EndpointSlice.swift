// discovery.k8s.io/v1 EndpointSlice, including the conditions a rollout goes through.

/// A `discovery.k8s.io/v1` EndpointSlice. A Service's endpoints are spread
/// over any number of slices labelled `kubernetes.io/service-name`.
public struct EndpointSlice: KubeResource {
    /// Where this kind is served.
    public static let resourceType = ResourceType(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice",
                                                  plural: "endpointslices", isNamespaced: true)
    /// The label that names the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// `apiVersion` as sent (absent on list items).
    public var apiVersion: String?
    /// `kind` as sent (absent on list items).
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String?
    /// The endpoints; the API sends `null` for an empty slice, read here as `[]`.
    public var endpoints: [Endpoint]
    /// Ports every endpoint of the slice serves.
    public var ports: [EndpointPort]?

    /// Creates a slice.
    public init(metadata: ObjectMeta, addressType: String? = "IPv4", endpoints: [Endpoint] = [], ports: [EndpointPort]? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The Service this slice belongs to, from its label.
    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        addressType = try container.decodeIfPresent(String.self, forKey: .addressType)
        endpoints = try container.decodeIfPresent([Endpoint].self, forKey: .endpoints) ?? []
        ports = try container.decodeIfPresent([EndpointPort].self, forKey: .ports)
    }
}

/// One endpoint (usually one pod) of a slice.
public struct Endpoint: Codable, Sendable, Hashable {
    /// Addresses of the endpoint (the API allows exactly one today).
    public var addresses: [String]
    /// Readiness, serving and terminating state.
    public var conditions: EndpointConditions?
    /// The pod behind the endpoint.
    public var targetRef: ObjectReference?
    /// Node hosting the endpoint.
    public var nodeName: String?
    /// Zone of that node.
    public var zone: String?
    /// Topology-aware routing hints.
    public var hints: EndpointHints?
    /// Hostname of the endpoint, for DNS.
    public var hostname: String?

    /// Creates an endpoint.
    public init(addresses: [String], conditions: EndpointConditions? = nil, targetRef: ObjectReference? = nil,
                nodeName: String? = nil, zone: String? = nil, hints: EndpointHints? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.targetRef = targetRef
        self.nodeName = nodeName
        self.zone = zone
        self.hints = hints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        conditions = try container.decodeIfPresent(EndpointConditions.self, forKey: .conditions)
        targetRef = try container.decodeIfPresent(ObjectReference.self, forKey: .targetRef)
        nodeName = try container.decodeIfPresent(String.self, forKey: .nodeName)
        zone = try container.decodeIfPresent(String.self, forKey: .zone)
        hints = try container.decodeIfPresent(EndpointHints.self, forKey: .hints)
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
    }

    /// ``EndpointConditions/isReady`` of ``conditions`` (ready when absent).
    public var isReady: Bool { (conditions ?? EndpointConditions()).isReady }
    /// ``EndpointConditions/isServing`` of ``conditions``.
    public var isServing: Bool { (conditions ?? EndpointConditions()).isServing }
    /// ``EndpointConditions/isTerminating`` of ``conditions``.
    public var isTerminating: Bool { (conditions ?? EndpointConditions()).isTerminating }
}

/// The three conditions exactly as sent; each may be absent, and the API
/// documents what absence means, which the computed properties apply.
public struct EndpointConditions: Codable, Sendable, Hashable {
    /// Ready to receive traffic; `nil` is to be read as `true`.
    public var ready: Bool?
    /// Able to receive traffic regardless of terminating; `nil` defers to
    /// `ready` (older API text) and so also means `true` when that is absent.
    public var serving: Bool?
    /// Being shut down; `nil` is to be read as `false`.
    public var terminating: Bool?

    /// Creates conditions.
    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    /// `ready`, with `nil` meaning ready.
    public var isReady: Bool { ready ?? true }
    /// `serving`, with `nil` deferring to ``isReady``.
    public var isServing: Bool { serving ?? isReady }
    /// `terminating`, with `nil` meaning not terminating.
    public var isTerminating: Bool { terminating ?? false }
}

/// Topology hints of an endpoint.
public struct EndpointHints: Codable, Sendable, Hashable {
    /// A zone that should consume this endpoint.
    public struct ForZone: Codable, Sendable, Hashable {
        /// The zone or node name.
        public var name: String
        /// Creates a hint.
        public init(name: String) { self.name = name }
    }
    /// A node that should consume this endpoint.
    public struct ForNode: Codable, Sendable, Hashable {
        /// The zone or node name.
        public var name: String
        /// Creates a hint.
        public init(name: String) { self.name = name }
    }

    /// Zones that should consume this endpoint.
    public var forZones: [ForZone]?
    /// Nodes that should consume this endpoint.
    public var forNodes: [ForNode]?

    /// Creates hints.
    public init(forZones: [ForZone]? = nil, forNodes: [ForNode]? = nil) {
        self.forZones = forZones
        self.forNodes = forNodes
    }
}

/// A port served by every endpoint of a slice.
public struct EndpointPort: Codable, Sendable, Hashable {
    /// Name, matching the Service port's name (empty for an unnamed port).
    public var name: String?
    /// Port number; `nil` means all ports.
    public var port: Int?
    /// `TCP`, `UDP` or `SCTP`.
    public var `protocol`: String?
    /// Application protocol, e.g. `kubernetes.io/h2c`.
    public var appProtocol: String?

    /// Creates a port.
    public init(name: String? = nil, port: Int? = nil, protocol: String? = "TCP", appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}
