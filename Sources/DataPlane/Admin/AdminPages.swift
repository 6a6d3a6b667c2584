// Content of the admin pages, built from per-worker snapshots summed up.
import NIOCore

struct EndpointSnapshot: Sendable {
    var address: String
    var ready: Bool
    var serving: Bool
    var terminating: Bool
    var reachable: Bool
    var healthy: Bool
    var health: String
    var activeRPCs: Int
    var totalRPCs: Int
    var failedRPCs: Int
    var connectFailures: Int
    var connections: Int
}

struct ClusterSnapshot: Sendable {
    var name: String
    var grpcServices: [String]
    var policy: String
    var totalRPCs: Int
    var retries: Int
    var endpoints: [EndpointSnapshot]
}

struct WorkerSnapshot: Sendable {
    var counters: WorkerCounters
    var clusters: [ClusterSnapshot]
}

extension Worker {
    func snapshot() -> WorkerSnapshot {
        let clusters = self.clusters.values.sorted { $0.config.name < $1.config.name }.map { c in
            ClusterSnapshot(
                name: c.config.name, grpcServices: c.config.grpcServices, policy: c.config.lbPolicy.rawValue,
                totalRPCs: c.totalRPCs, retries: c.retries,
                endpoints: c.endpoints.map { e in
                    EndpointSnapshot(address: e.name, ready: e.config.ready, serving: e.config.serving,
                                     terminating: e.config.terminating, reachable: e.isAvailable || e.isFallback,
                                     healthy: e.healthy, health: e.healthDetail,
                                     activeRPCs: e.activeRPCs, totalRPCs: e.totalRPCs, failedRPCs: e.failedRPCs,
                                     connectFailures: e.connectFailures, connections: e.connections.count)
                })
        }
        return WorkerSnapshot(counters: counters, clusters: clusters)
    }
}

enum AdminPages {
    static let index = """
        portico-proxy admin
          GET  /ready              LIVE when serving
          GET  /clusters           clusters and endpoints (JSON)
          GET  /config_dump        routing table and membership version (JSON)
          GET  /stats/prometheus   metrics in Prometheus text format
          POST /healthcheck/fail   make /healthz fail (keep serving)
          POST /healthcheck/ok     undo /healthcheck/fail

        """

    static func gather(_ proxy: Proxy) -> EventLoopFuture<[WorkerSnapshot]> {
        let futures = proxy.workers.map { w in w.eventLoop.submit { w.value.snapshot() } }
        return EventLoopFuture.whenAllSucceed(futures, on: proxy.group.any())
    }

    /// Per-cluster totals over all workers (a worker's view is partial:
    /// each has its own connections and counters).
    static func merged(_ snapshots: [WorkerSnapshot]) -> [ClusterSnapshot] {
        var order: [String] = []
        var byName: [String: ClusterSnapshot] = [:]
        for s in snapshots {
            for c in s.clusters {
                guard var m = byName[c.name] else {
                    byName[c.name] = c
                    order.append(c.name)
                    continue
                }
                m.totalRPCs += c.totalRPCs
                m.retries += c.retries
                for e in c.endpoints {
                    if let i = m.endpoints.firstIndex(where: { $0.address == e.address }) {
                        m.endpoints[i].activeRPCs += e.activeRPCs
                        m.endpoints[i].totalRPCs += e.totalRPCs
                        m.endpoints[i].failedRPCs += e.failedRPCs
                        m.endpoints[i].connectFailures += e.connectFailures
                        m.endpoints[i].connections += e.connections
                        m.endpoints[i].reachable = m.endpoints[i].reachable && e.reachable
                        m.endpoints[i].healthy = m.endpoints[i].healthy && e.healthy
                    } else {
                        m.endpoints.append(e)
                    }
                }
                byName[c.name] = m
            }
        }
        return order.sorted().compactMap { byName[$0] }
    }

    static func clustersJSON(_ snapshots: [WorkerSnapshot]) -> String {
        let clusters = merged(snapshots).map { c -> String in
            let endpoints = c.endpoints.map { e in
                "{\"address\":\(j(e.address)),\"ready\":\(e.ready),\"serving\":\(e.serving),"
                    + "\"terminating\":\(e.terminating),\"reachable\":\(e.reachable),"
                    + "\"healthy\":\(e.healthy),\"health\":\(j(e.health)),"
                    + "\"active_rpcs\":\(e.activeRPCs),\"total_rpcs\":\(e.totalRPCs),"
                    + "\"failed_rpcs\":\(e.failedRPCs),\"connect_failures\":\(e.connectFailures),"
                    + "\"connections\":\(e.connections)}"
            }
            return "{\"name\":\(j(c.name)),\"grpc_services\":[\(c.grpcServices.map(j).joined(separator: ","))],"
                + "\"lb_policy\":\(j(c.policy)),\"total_rpcs\":\(c.totalRPCs),\"retries\":\(c.retries),"
                + "\"endpoints\":[\(endpoints.joined(separator: ","))]}"
        }
        return "{\"clusters\":[\(clusters.joined(separator: ","))]}\n"
    }

    static func configDump(_ proxy: Proxy, _ snapshots: [WorkerSnapshot]) -> String {
        let version = proxy.membershipVersion.withLockedValue { $0 }
        var routes: [String] = []
        for c in merged(snapshots) {
            for s in c.grpcServices { routes.append("{\"grpc_service\":\(j(s)),\"cluster\":\(j(c.name))}") }
        }
        return "{\"membership_version\":\(j(version)),\"listen\":\(j(proxy.config.listen.description)),"
            + "\"tls\":\(proxy.config.tls != nil),\"workers\":\(proxy.config.workers),"
            + "\"routes\":[\(routes.joined(separator: ","))]\(tlsConfigDump(proxy))}\n"
    }

    static func prometheus(_ proxy: Proxy, _ snapshots: [WorkerSnapshot]) -> String {
        var c = WorkerCounters()
        for s in snapshots {
            c.downstreamConnections += s.counters.downstreamConnections
            c.downstreamConnectionsTotal += s.counters.downstreamConnectionsTotal
            c.downstreamRPCs += s.counters.downstreamRPCs
            c.upstreamConnectFailures += s.counters.upstreamConnectFailures
            c.retries += s.counters.retries
            c.httpErrors += s.counters.httpErrors
            c.protocolErrors += s.counters.protocolErrors
            c.oversizedHeaders += s.counters.oversizedHeaders
            c.closedByLimit.merge(s.counters.closedByLimit, uniquingKeysWith: +)
        }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, v) in samples { out += "\(name)\(labels) \(v)\n" }
        }
        metric("portico_downstream_connections", "gauge", "Open client connections.", [("", c.downstreamConnections)])
        metric("portico_downstream_connections_total", "counter", "Client connections accepted.",
               [("", c.downstreamConnectionsTotal)])
        metric("portico_downstream_requests_total", "counter", "Requests received from clients.",
               [("", c.downstreamRPCs)])
        metric("portico_downstream_http_errors_total", "counter", "Non-gRPC requests answered with an HTTP error.",
               [("", c.httpErrors)])
        metric("portico_downstream_protocol_errors_total", "counter", "Client connections closed for protocol errors.",
               [("", c.protocolErrors)])
        metric("portico_downstream_limit_closes_total", "counter",
               "Client connections closed or refused by a limit (docs/security.md), by limit.",
               c.closedByLimit.sorted { $0.key < $1.key }.map { ("{limit=\(j($0.key))}", $0.value) })
        metric("portico_downstream_oversized_headers_total", "counter",
               "Requests refused for headers over http2.maxHeaderListSize.", [("", c.oversizedHeaders)])
        metric("portico_upstream_connect_failures_total", "counter", "Failed connection attempts to endpoints.",
               [("", c.upstreamConnectFailures)])
        metric("portico_upstream_retries_total", "counter", "RPC attempts retried on another endpoint.",
               [("", c.retries)])
        let clusters = merged(snapshots)
        metric("portico_cluster_rpcs_total", "counter", "RPCs routed to each cluster.",
               clusters.map { ("{cluster=\(j($0.name))}", $0.totalRPCs) })
        var active: [(String, Int)] = []
        var total: [(String, Int)] = []
        for cl in clusters {
            for e in cl.endpoints {
                let l = "{cluster=\(j(cl.name)),endpoint=\(j(e.address))}"
                active.append((l, e.activeRPCs))
                total.append((l, e.totalRPCs))
            }
        }
        metric("portico_endpoint_active_rpcs", "gauge", "RPCs in flight per endpoint.", active)
        metric("portico_endpoint_rpcs_total", "counter", "RPC attempts per endpoint.", total)
        tlsMetrics(proxy, metric)
        if let m = proxy.membershipStatus {
            metric("portico_membership_connected", "gauge", "1 while the controller's membership stream is up.",
                   [("", m.connected ? 1 : 0)])
            metric("portico_membership_version", "gauge", "Membership version in force.", [("", Int(m.version))])
            let age = m.lastUpdate.map { Int((NIODeadline.now() - $0).nanoseconds / 1_000_000_000) } ?? -1
            metric("portico_membership_age_seconds", "gauge",
                   "Seconds since the membership in force arrived (-1: none yet).", [("", age)])
        }
        return out
    }

    static func j(_ s: String) -> String { AccessLog.json(s) }
}
