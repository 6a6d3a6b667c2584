// /stats/prometheus: the text exposition format 0.0.4, every family with
// # HELP and # TYPE, built from the workers' counters summed up.
import NIOCore

extension AdminPages {
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
            c.maxAgeGoAways += s.counters.maxAgeGoAways
            c.oversizedHeaders += s.counters.oversizedHeaders
            c.closedByLimit.merge(s.counters.closedByLimit, uniquingKeysWith: +)
            c.upstreamRotations += s.counters.upstreamRotations
            c.keepaliveCloses += s.counters.keepaliveCloses
            c.clientKeepaliveCloses += s.counters.clientKeepaliveCloses
            c.streamsResetForMemory.merge(s.counters.streamsResetForMemory, uniquingKeysWith: +)
        }
        let held = snapshots.reduce(0) { $0 + $1.heldBytes }
        var out = PrometheusText()
        out.family("portico_downstream_connections", "gauge", "Open client connections.",
                   [("", c.downstreamConnections)])
        out.family("portico_downstream_connections_total", "counter", "Client connections accepted.",
                   [("", c.downstreamConnectionsTotal)])
        out.family("portico_downstream_max_age_goaways_total", "counter",
                   "Client connections sent GOAWAY because they reached maxConnectionAge.",
                   [("", c.maxAgeGoAways)])
        out.family("portico_downstream_requests_total", "counter", "Requests received from clients.",
                   [("", c.downstreamRPCs)])
        out.family("portico_downstream_http_errors_total", "counter",
                   "Non-gRPC requests answered with an HTTP error.", [("", c.httpErrors)])
        out.family("portico_downstream_protocol_errors_total", "counter",
                   "Client connections closed for protocol errors.", [("", c.protocolErrors)])
        out.family("portico_downstream_limit_closes_total", "counter",
                   "Client connections closed or refused by a limit (docs/security.md), by limit.",
                   c.closedByLimit.sorted { $0.key < $1.key }.map { (PrometheusText.labels(["limit": $0.key]), $0.value) })
        out.family("portico_downstream_oversized_headers_total", "counter",
                   "Requests refused for headers over http2.maxHeaderListSize.", [("", c.oversizedHeaders)])
        out.family("portico_upstream_connect_failures_total", "counter", "Failed connection attempts to endpoints.",
                   [("", c.upstreamConnectFailures)])
        out.family("portico_upstream_retries_total", "counter", "RPC attempts retried on another endpoint.",
                   [("", c.retries)])
        out.family("portico_upstream_rotations_total", "counter",
                   "Upstream connections retired at upstream.maxRequestsPerConnection.", [("", c.upstreamRotations)])
        out.family("portico_keepalive_closes_total", "counter",
                   "Connections closed because a keepalive PING went unanswered, by side.",
                   [(PrometheusText.labels(["side": "upstream"]), c.keepaliveCloses),
                    (PrometheusText.labels(["side": "downstream"]), c.clientKeepaliveCloses)])
        out.family("portico_buffered_bytes", "gauge",
                   "Request and response bytes held for clients (limits.bufferPerConnection, bufferPerWorker).",
                   [("", held)])
        out.family("portico_streams_reset_for_memory_total", "counter",
                   "Streams reset because their client connection or worker held more than its buffer budget, by the direction holding the most.",
                   ["request", "response"].map { (PrometheusText.labels(["direction": $0]), c.streamsResetForMemory[$0] ?? 0) })

        let clusters = merged(snapshots)
        func perCluster(_ value: (ClusterStats) -> Int) -> [(String, Int)] {
            clusters.map { (PrometheusText.labels(["cluster": $0.name]), value($0.stats)) }
        }
        out.family("portico_cluster_rpcs_total", "counter", "RPCs routed to each cluster.", perCluster(\.rpcs))
        var statuses: [(String, Int)] = []
        for cl in clusters {
            for (slot, n) in cl.stats.statuses.counts.enumerated() where n > 0 {
                statuses.append((PrometheusText.labels(["cluster": cl.name,
                                                        "grpc_status": GRPCStatusCounts.label(slot)]), n))
            }
        }
        out.family("portico_cluster_rpcs_finished_total", "counter",
                   "RPCs finished per cluster by grpc-status (\"none\": the stream ended without one).", statuses)
        out.histogram("portico_cluster_rpc_duration_seconds",
                      "RPC latency per cluster, from request headers to the end of the stream.",
                      clusters.map { ($0.name, $0.stats.latency) })
        out.family("portico_cluster_upstream_connect_failures_total", "counter",
                   "Failed connection attempts to the cluster's endpoints.", perCluster(\.connectFailures))
        out.family("portico_cluster_retries_total", "counter", "RPC attempts retried on another endpoint.",
                   perCluster(\.retries))
        var checks: [(String, Int)] = []
        for cl in clusters {
            checks.append((PrometheusText.labels(["cluster": cl.name, "result": "success"]),
                           cl.stats.healthChecksPassed))
            checks.append((PrometheusText.labels(["cluster": cl.name, "result": "failure"]),
                           cl.stats.healthChecksFailed))
        }
        out.family("portico_cluster_health_checks_total", "counter", "Active gRPC health checks by result.", checks)
        out.family("portico_cluster_ejections_total", "counter",
                   "Endpoints ejected for consecutive failures (outlier detection).", perCluster(\.ejections))
        var overflows: [(String, Int)] = []
        for cl in clusters {
            overflows.append((PrometheusText.labels(["cluster": cl.name, "limit": "max_requests"]),
                              cl.stats.breakerOverflows.requests))
            overflows.append((PrometheusText.labels(["cluster": cl.name, "limit": "max_pending_requests"]),
                              cl.stats.breakerOverflows.pending))
        }
        out.family("portico_cluster_circuit_breaker_overflows_total", "counter",
                   "RPCs refused with UNAVAILABLE because a circuit breaker limit was reached.", overflows)
        out.family("portico_cluster_ejections_overflow_total", "counter",
                   "Ejections not made because maxEjectionPercent of the cluster was out already.",
                   perCluster(\.ejectionsOverflow))

        var active: [(String, Int)] = []
        var total: [(String, Int)] = []
        var ejected: [(String, Int)] = []
        for cl in clusters {
            for e in cl.endpoints {
                let l = PrometheusText.labels(["cluster": cl.name, "endpoint": e.address])
                active.append((l, e.activeRPCs))
                total.append((l, e.totalRPCs))
                ejected.append((l, e.ejected ? 1 : 0))
            }
        }
        out.family("portico_endpoint_active_rpcs", "gauge", "RPCs in flight per endpoint.", active)
        out.family("portico_endpoint_rpcs_total", "counter", "RPC attempts per endpoint.", total)
        out.family("portico_endpoint_ejected", "gauge", "1 while the endpoint is ejected (on any worker).", ejected)

        tlsMetrics(proxy) { name, type, help, samples in out.family(name, type, help, samples) }
        if let m = proxy.membershipStatus {
            out.family("portico_membership_connected", "gauge", "1 while the controller's membership stream is up.",
                       [("", m.connected ? 1 : 0)])
            out.family("portico_membership_version", "gauge", "Membership version in force.", [("", Int(m.version))])
            let age = m.lastUpdate.map { Int((NIODeadline.now() - $0).nanoseconds / 1_000_000_000) } ?? -1
            out.family("portico_membership_age_seconds", "gauge",
                       "Seconds since the membership in force arrived (-1: none yet).", [("", age)])
        }
        return out.text
    }
}

/// Builds Prometheus text.
struct PrometheusText {
    private(set) var text = ""

    /// A family of integer samples, each `(labels, value)`.
    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for (labels, value) in samples { text += "\(name)\(labels) \(value)\n" }
    }

    /// A histogram family with one series per cluster: cumulative buckets,
    /// `+Inf` equal to `_count`, and `_sum` in seconds.
    mutating func histogram(_ name: String, _ help: String, _ series: [(String, LatencyHistogram)]) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (cluster, h) in series {
            let counts = h.cumulative
            for (i, le) in LatencyHistogram.labels.enumerated() {
                text += "\(name)_bucket\(Self.labels(["cluster": cluster, "le": le])) \(counts[i])\n"
            }
            text += "\(name)_bucket\(Self.labels(["cluster": cluster, "le": "+Inf"])) \(counts[counts.count - 1])\n"
            let l = Self.labels(["cluster": cluster])
            text += "\(name)_sum\(l) \(Self.seconds(h.sumNanoseconds))\n"
            text += "\(name)_count\(l) \(h.count)\n"
        }
    }

    /// `{a="x",b="y"}` in the given key order, values escaped.
    static func labels(_ pairs: KeyValuePairs<String, String>) -> String {
        "{" + pairs.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// Label value escaping: backslash, double quote and line feed.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Nanoseconds as decimal seconds, exactly (no floating point).
    static func seconds(_ ns: Int64) -> String {
        let whole = ns / 1_000_000_000
        var frac = String(ns % 1_000_000_000)
        frac = String(repeating: "0", count: 9 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return frac.isEmpty ? String(whole) : "\(whole).\(frac)"
    }
}
