// What the controller tells the proxy: clusters of endpoints, by name.

/// One backend endpoint with the state its EndpointSlice reports.
public struct MembershipEndpoint: Codable, Sendable, Hashable {
    public var address: String
    public var port: Int
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    public var zone: String?
    public var node: String?
    public var pod: String?

    public init(address: String, port: Int, ready: Bool = true, serving: Bool = true, terminating: Bool = false,
                zone: String? = nil, node: String? = nil, pod: String? = nil) {
        self.address = address
        self.port = port
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.zone = zone
        self.node = node
        self.pod = pod
    }
}

/// Active health checking as the Service's annotations ask for it.
public struct MembershipHealthCheck: Codable, Sendable, Hashable {
    /// `grpc` or `none`.
    public var kind: String
    public var service: String

    public init(kind: String = "grpc", service: String = "") {
        self.kind = kind
        self.service = service
    }
}

/// Circuit breakers as the Service's annotations set them (nil: the proxy's defaults).
public struct MembershipCircuitBreakers: Codable, Sendable, Hashable {
    public var maxRequests: Int?
    public var maxPendingRequests: Int?

    public init(maxRequests: Int? = nil, maxPendingRequests: Int? = nil) {
        self.maxRequests = maxRequests
        self.maxPendingRequests = maxPendingRequests
    }
}

/// One exposed Service: `namespace/name`, its gRPC services and endpoints.
public struct MembershipCluster: Codable, Sendable, Hashable {
    public var name: String
    public var grpcServices: [String]
    public var port: Int
    public var lbPolicy: String
    public var hashHeader: String?
    public var healthCheck: MembershipHealthCheck
    /// Route timeout in milliseconds; 0 for none.
    public var timeoutMilliseconds: Int
    /// Absent from older controllers' messages.
    public var circuitBreakers: MembershipCircuitBreakers?
    public var endpoints: [MembershipEndpoint]

    public init(name: String, grpcServices: [String], port: Int, lbPolicy: String = "round_robin",
                hashHeader: String? = nil, healthCheck: MembershipHealthCheck = .init(),
                timeoutMilliseconds: Int = 0, circuitBreakers: MembershipCircuitBreakers? = nil,
                endpoints: [MembershipEndpoint]) {
        self.circuitBreakers = circuitBreakers
        self.name = name
        self.grpcServices = grpcServices
        self.port = port
        self.lbPolicy = lbPolicy
        self.hashHeader = hashHeader
        self.healthCheck = healthCheck
        self.timeoutMilliseconds = timeoutMilliseconds
        self.endpoints = endpoints
    }
}
