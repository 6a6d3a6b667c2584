// The membership in force on the proxy side, changed only by whole messages.
#if canImport(Glibc)
import Glibc
#endif

public struct MembershipTable: Sendable, Equatable {
    public private(set) var version: UInt64 = 0
    public private(set) var clusters: [String: MembershipCluster] = [:]

    public init() {}

    /// Applies a snapshot or delta all-or-nothing: on error, `self` is unchanged.
    public mutating func apply(_ message: MembershipMessage) throws {
        var next = self
        switch message {
        case .snapshot(let v, let list):
            next.clusters = [:]
            for c in list {
                guard next.clusters.updateValue(c, forKey: c.name) == nil else {
                    throw MembershipError("cluster \"\(c.name)\" appears twice")
                }
            }
            next.version = v
        case .delta(let v, let base, let upserts, let removes):
            guard base == version else {
                throw MembershipError("delta \(v) is based on version \(base), but \(version) is in force")
            }
            // Versions only grow: a delta that does not is a replay or a
            // controller bug, and acking it would make versions ambiguous.
            guard v > base else {
                throw MembershipError("delta \(v) is not above its base version \(base)")
            }
            // Removes first, so a name both removed and upserted ends up
            // with the upserted cluster (a Service deleted and re-created).
            for name in removes { next.clusters.removeValue(forKey: name) }
            var upserted = Set<String>()
            for c in upserts {
                guard upserted.insert(c.name).inserted else {
                    throw MembershipError("cluster \"\(c.name)\" is upserted twice")
                }
                next.clusters[c.name] = c
            }
            next.version = v
        default:
            throw MembershipError("not a membership update")
        }
        try next.validate()
        self = next
    }

    /// Every cluster well formed, and no gRPC service claimed twice.
    public func validate() throws {
        var owners: [String: String] = [:]
        for c in clusters.values.sorted(by: { $0.name < $1.name }) {
            guard !c.name.isEmpty else { throw MembershipError("a cluster has an empty name") }
            guard !c.grpcServices.isEmpty else { throw MembershipError("cluster \"\(c.name)\" has no gRPC services") }
            guard ["round_robin", "least_request", "random", "ring_hash"].contains(c.lbPolicy) else {
                throw MembershipError("cluster \"\(c.name)\": unknown lbPolicy \"\(c.lbPolicy)\"")
            }
            if c.lbPolicy == "ring_hash" && (c.hashHeader ?? "").isEmpty {
                throw MembershipError("cluster \"\(c.name)\": ring_hash needs hashHeader")
            }
            guard c.timeoutMilliseconds >= 0 else { throw MembershipError("cluster \"\(c.name)\": negative timeout") }
            if let b = c.circuitBreakers, (b.maxRequests ?? 1) < 1 || (b.maxPendingRequests ?? 1) < 1 {
                throw MembershipError("cluster \"\(c.name)\": circuit breaker limits must be at least 1")
            }
            for s in c.grpcServices {
                if let other = owners[s] {
                    throw MembershipError("gRPC service \"\(s)\" is claimed by \"\(other)\" and \"\(c.name)\"")
                }
                owners[s] = c.name
            }
            for e in c.endpoints {
                guard (1...65535).contains(e.port) else {
                    throw MembershipError("cluster \"\(c.name)\": endpoint \(e.address) has port \(e.port)")
                }
                guard !e.address.isEmpty else { throw MembershipError("cluster \"\(c.name)\": empty endpoint address") }
                // EndpointSlice addresses are IPs; a name here would make the
                // proxy resolve it on a worker loop.
                guard Self.isIPAddress(e.address) else {
                    throw MembershipError("cluster \"\(c.name)\": endpoint address \"\(e.address)\" is not an IP address")
                }
            }
        }
    }

    /// An IPv4 or IPv6 address literal (no brackets, no zone).
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
