// The routing decision: which cluster serves a request, or what the proxy
// answers itself. One table per worker, rebuilt when membership changes and
// read by every request without a lock.
import NIOCore

/// What to do with one request.
enum RouteDecision {
    /// Proxy it to `cluster`; `hashKey` for ring hash, `timeout` the
    /// shorter of the client's `grpc-timeout` and the route timeout.
    case proxy(Cluster, hashKey: UInt64?, timeout: TimeAmount?)
    /// Answer with a gRPC status (trailers-only).
    case grpcStatus(GRPCStatusCode, String)
    /// Answer with a plain HTTP error (not a gRPC request).
    case httpError(status: Int, String)
}

/// gRPC service name → cluster: a hash lookup, not a list scan.
struct RouteTable {
    private var services: [String: Cluster] = [:]

    init() {}

    init(_ clusters: some Sequence<Cluster>) {
        for cluster in clusters {
            for service in cluster.config.grpcServices { services[service] = cluster }
        }
    }

    func cluster(serving service: String) -> Cluster? { services[service] }

    /// Decides for a request's headers.
    func decide(_ headers: HeaderBlock) -> RouteDecision {
        guard let request = GRPCRequestHead(headers) else {
            return .httpError(status: 415, "portico: only gRPC requests are proxied (content-type: application/grpc)\n")
        }
        guard request.isPost else { return .httpError(status: 405, "portico: gRPC requests use POST\n") }
        guard let service = request.service else {
            return .grpcStatus(.unimplemented, "malformed gRPC path \"\(request.path)\" (expected /package.Service/Method)")
        }
        guard let cluster = services[service] else {
            return .grpcStatus(.unimplemented, "unknown service \(service): no route in portico")
        }
        var hashKey: UInt64?
        if cluster.config.lbPolicy == .ringHash, let header = cluster.config.hashHeader,
           let i = headers.index(ofName: header) {
            hashKey = headers.withValueBytes(at: i) { Hashing.fnv1a($0) }
        }
        var timeout = request.timeout
        if let route = cluster.config.timeout {
            let t = TimeAmount.nanoseconds(route.nanoseconds)
            timeout = timeout.map { min($0, t) } ?? t
        }
        return .proxy(cluster, hashKey: hashKey, timeout: timeout)
    }
}
