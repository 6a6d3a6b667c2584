// A cluster as one worker sees it: its endpoints and its load balancer.
import NIOCore

final class Cluster {
    private(set) var config: ClusterConfig
    unowned let worker: Worker
    private(set) var endpoints: [Endpoint] = []
    private var balancer: LoadBalancer

    /// This worker's counters for the cluster (see ClusterStats).
    var stats = ClusterStats()
    /// RPCs of the cluster in flight on this worker (circuit breaker `maxRequests`).
    var activeRPCs = 0
    /// RPCs waiting for an upstream connection or a free stream (`maxPendingRequests`).
    var pendingRPCs = 0

    init(config: ClusterConfig, worker: Worker) {
        self.config = config
        self.worker = worker
        self.balancer = LoadBalancer(policy: config.lbPolicy)
        self.endpoints = Self.makeEndpoints(config, existing: [:], cluster: self)
        balancer.rebuild(endpoints)
    }

    /// Takes a new config, keeping the Endpoint objects (and pools) of the
    /// addresses that remain.
    func update(_ config: ClusterConfig) {
        var existing: [HostPort: Endpoint] = [:]
        for e in endpoints { existing[e.address] = e }
        let next = Self.makeEndpoints(config, existing: existing, cluster: self)
        let kept = Set(next.map { ObjectIdentifier($0) })
        for e in endpoints where !kept.contains(ObjectIdentifier(e)) { e.retire() }
        if config.lbPolicy != self.config.lbPolicy { balancer = LoadBalancer(policy: config.lbPolicy) }
        self.config = config
        self.endpoints = next
        balancer.rebuild(next)
        if config.healthCheck == nil { for e in next { e.healthChecksStopped() } }
        if !config.outlierDetection.enabled {
            for e in next where e.ejection.ejected { e.endEjection("outlier detection was turned off") }
        }
    }

    func retire() {
        for e in endpoints { e.retire() }
    }

    /// The circuit breakers' limits on this worker: its share of the
    /// cluster's (each worker enforces its part without sharing state).
    func breakerLimit(_ limit: Int) -> Int {
        let workers = max(worker.limits.workers, 1)
        return max((limit + workers - 1) / workers, 1)
    }

    /// Why a new RPC may not start now, or nil: `maxRequests` reached.
    var requestOverflow: String? {
        let limit = config.circuitBreakers.maxRequests
        guard activeRPCs >= breakerLimit(limit) else { return nil }
        stats.breakerOverflows.requests += 1
        return "cluster \"\(config.name)\" has \(activeRPCs) RPCs in flight on this worker: circuit breaker maxRequests (\(limit)) reached"
    }

    /// Why an RPC may not wait for a stream, or nil: `maxPendingRequests` reached.
    var pendingOverflow: String? {
        let limit = config.circuitBreakers.maxPendingRequests
        guard pendingRPCs >= breakerLimit(limit) else { return nil }
        stats.breakerOverflows.pending += 1
        return "cluster \"\(config.name)\" has \(pendingRPCs) RPCs waiting for a connection on this worker: circuit breaker maxPendingRequests (\(limit)) reached"
    }

    private static func makeEndpoints(_ config: ClusterConfig, existing: [HostPort: Endpoint],
                                      cluster: Cluster) -> [Endpoint] {
        var out: [Endpoint] = []
        for ec in config.endpoints {
            if let e = existing[ec.address] {
                e.config = ec
                e.connectTimeout = config.connectTimeout
                out.append(e)
            } else if let address = try? SocketAddress(ipAddress: ec.address.host, port: ec.address.port) {
                out.append(Endpoint(config: ec, socketAddress: address, cluster: cluster))
            } else if let address = try? SocketAddress.makeAddressResolvingHost(ec.address.host,
                                                                                 port: ec.address.port) {
                out.append(Endpoint(config: ec, socketAddress: address, cluster: cluster))
            }
        }
        return out
    }

    /// The endpoint for the next RPC, skipping `tried` ones; nil when none can
    /// take it.
    func pick(excluding tried: [Endpoint], hashKey: UInt64?) -> Endpoint? {
        if let e = balancer.pick(endpoints, excluding: tried, hashKey: hashKey, random: &worker.random,
                                 eligible: { $0.isAvailable }) {
            return e
        }
        // Terminating-but-serving endpoints only when nothing else is left.
        return balancer.pick(endpoints, excluding: tried, hashKey: hashKey, random: &worker.random,
                             eligible: { $0.isFallback })
    }

    /// Why `pick` found nothing, for the UNAVAILABLE message.
    var unavailableReason: String {
        if endpoints.isEmpty { return "cluster \"\(config.name)\" has no endpoints" }
        if endpoints.allSatisfy({ !$0.healthy }) {
            return "all \(endpoints.count) endpoints of cluster \"\(config.name)\" are failing health checks"
        }
        let ejected = endpoints.reduce(0) { $0 + ($1.ejection.ejected ? 1 : 0) }
        let detail = ejected > 0 ? "none reachable, \(ejected) ejected for consecutive failures" : "none reachable"
        return "no healthy upstream in cluster \"\(config.name)\" (\(endpoints.count) endpoints, \(detail))"
    }

    /// Ejects `endpoint` unless `maxEjectionPercent` of the cluster is out
    /// already; returns whether it did.
    func eject(_ endpoint: Endpoint, reason: String) -> Bool {
        let od = config.outlierDetection
        let ejected = endpoints.reduce(0) { $0 + ($1.ejection.ejected ? 1 : 0) }
        guard ejected < od.maxEjected(of: endpoints.count) else {
            stats.ejectionsOverflow += 1
            return false
        }
        stats.ejections += 1
        endpoint.startEjection(od, reason: reason)
        return true
    }
}
