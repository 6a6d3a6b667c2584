// Content of the admin pages, built from per-worker snapshots summed up.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    var ejected: Bool
    /// Times ejected (summed over workers).
    var ejections: Int
    var consecutiveFailures: Int
    /// Nanoseconds left of the current ejection (0 when not ejected).
    var ejectionRemaining: Int64
    /// Length of the current or last ejection, in nanoseconds.
    var ejectionTime: Int64
}

struct ClusterSnapshot: Sendable {
    var name: String
    var grpcServices: [String]
    var policy: String
    var outlierDetection: OutlierDetectionConfig
    var stats: ClusterStats
    var endpoints: [EndpointSnapshot]
}

struct WorkerSnapshot: Sendable {
    var counters: WorkerCounters
    var clusters: [ClusterSnapshot]
    /// Request and response bytes held for clients (BufferBudget.swift).
    var heldBytes = 0
}

extension Worker {
    func snapshot() -> WorkerSnapshot {
        let now = NIODeadline.now()
        let clusters = self.clusters.values.sorted { $0.config.name < $1.config.name }.map { c in
            ClusterSnapshot(
                name: c.config.name, grpcServices: c.config.grpcServices, policy: c.config.lbPolicy.rawValue,
                outlierDetection: c.config.outlierDetection, stats: c.stats,
                endpoints: c.endpoints.map { e in
                    let x = e.ejection
                    let remaining = x.ejected ? max((x.until.map { $0 - now } ?? .zero).nanoseconds, 0) : 0
                    return EndpointSnapshot(
                        address: e.name, ready: e.config.ready, serving: e.config.serving,
                        terminating: e.config.terminating, reachable: e.isAvailable || e.isFallback,
                        healthy: e.healthy, health: e.healthDetail,
                        activeRPCs: e.activeRPCs, totalRPCs: e.totalRPCs, failedRPCs: e.failedRPCs,
                        connectFailures: e.connectFailures, connections: e.connections.count,
                        ejected: x.ejected, ejections: x.ejections, consecutiveFailures: x.consecutiveFailures,
                        ejectionRemaining: remaining, ejectionTime: x.duration.nanoseconds)
                })
        }
        return WorkerSnapshot(counters: counters, clusters: clusters, heldBytes: heldBytes)
    }
}

enum AdminPages {
    static let index = """
        portico-proxy admin
          GET  /ready              LIVE when serving
          GET  /clusters           clusters and endpoints: health, ejection, RPCs (JSON)
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
    /// each has its own connections, counters and ejections). An endpoint is
    /// shown ejected when any worker ejected it.
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
                m.stats.add(c.stats)
                for e in c.endpoints {
                    guard let i = m.endpoints.firstIndex(where: { $0.address == e.address }) else {
                        m.endpoints.append(e)
                        continue
                    }
                    var x = m.endpoints[i]
                    x.activeRPCs += e.activeRPCs
                    x.totalRPCs += e.totalRPCs
                    x.failedRPCs += e.failedRPCs
                    x.connectFailures += e.connectFailures
                    x.connections += e.connections
                    x.reachable = x.reachable && e.reachable
                    x.healthy = x.healthy && e.healthy
                    x.ejected = x.ejected || e.ejected
                    x.ejections += e.ejections
                    x.consecutiveFailures = max(x.consecutiveFailures, e.consecutiveFailures)
                    x.ejectionRemaining = max(x.ejectionRemaining, e.ejectionRemaining)
                    x.ejectionTime = max(x.ejectionTime, e.ejectionTime)
                    m.endpoints[i] = x
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
                    + "\"ejected\":\(e.ejected),\"ejections\":\(e.ejections),"
                    + "\"ejected_until\":\(e.ejected ? j(WallClock.rfc3339(fromNow: e.ejectionRemaining)) : "null"),"
                    + "\"ejection_time_ms\":\(e.ejectionTime / 1_000_000),"
                    + "\"consecutive_failures\":\(e.consecutiveFailures),"
                    + "\"active_rpcs\":\(e.activeRPCs),\"total_rpcs\":\(e.totalRPCs),"
                    + "\"failed_rpcs\":\(e.failedRPCs),\"connect_failures\":\(e.connectFailures),"
                    + "\"connections\":\(e.connections)}"
            }
            let od = c.outlierDetection
            let outlier = "{\"consecutive_failures\":\(od.consecutiveFailures),"
                + "\"base_ejection_time_ms\":\(od.baseEjectionTime.nanoseconds / 1_000_000),"
                + "\"max_ejection_time_ms\":\(od.maxEjectionTime.nanoseconds / 1_000_000),"
                + "\"max_ejection_percent\":\(od.maxEjectionPercent)}"
            return "{\"name\":\(j(c.name)),\"grpc_services\":[\(c.grpcServices.map(j).joined(separator: ","))],"
                + "\"lb_policy\":\(j(c.policy)),\"total_rpcs\":\(c.stats.rpcs),\"retries\":\(c.stats.retries),"
                + "\"ejections\":\(c.stats.ejections),\"outlier_detection\":\(outlier),"
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
        let config = proxy.config
        return "{\"membership_version\":\(j(version)),\"listen\":\(j(config.listen.description)),"
            + "\"tls\":\(config.tls != nil),\"workers\":\(config.workers),"
            + "\"max_connection_age_ms\":\(config.maxConnectionAge.nanoseconds / 1_000_000),"
            + "\"max_connection_age_grace_ms\":\(config.maxConnectionAgeGrace.nanoseconds / 1_000_000),"
            + "\"routes\":[\(routes.joined(separator: ","))]\(tlsConfigDump(proxy))}\n"
    }

    static func j(_ s: String) -> String { AccessLog.json(s) }
}

/// Wall-clock time for people reading the admin pages (the proxy itself
/// keeps time on the monotonic clock).
enum WallClock {
    /// The UTC time `nanoseconds` from now, as RFC 3339 with milliseconds.
    static func rfc3339(fromNow nanoseconds: Int64) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) + nanoseconds
        var seconds = time_t(total / 1_000_000_000)
        let millis = Int(total % 1_000_000_000 / 1_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(n - s.count, 0)) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
