// What the admin port shows: the index, /ready, /clusters, /config_dump,
// /stats/prometheus (parsed strictly), /healthcheck/fail|ok, and the JSON
// access log.
import Foundation
import GRPCCore
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyAdminTests {
    func json(_ body: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
    }

    @Test func adminPagesShowTheirContent() async throws {
        let check = "    healthCheck: {interval: 200ms, timeout: 500ms}\n"
        try await ProxyFixture.with(reverseCount: 1, echoClusterExtra: check) { f in
            let admin = f.proxy.adminPort
            var r = try await httpRequest(port: admin, path: "/")
            #expect(r.status == 200)
            for page in ["/ready", "/clusters", "/config_dump", "/stats/prometheus", "/healthcheck/fail", "/healthcheck/ok"] {
                #expect(r.body.contains(page), "index lacks \(page)")
            }
            r = try await httpRequest(port: admin, path: "/ready")
            #expect(r.status == 200 && r.body == "LIVE\n")
            #expect(try await httpRequest(port: admin, path: "/nowhere").status == 404)
            #expect(try await httpRequest(port: admin, path: "/healthcheck/fail").status == 405)

            // /healthcheck/fail: /healthz fails, RPCs go on; /healthcheck/ok undoes it.
            try await f.withClient { client in
                #expect(try await httpRequest("POST", port: admin, path: "/healthcheck/fail").status == 200)
                r = try await httpRequest(port: f.proxy.healthPort, path: "/healthz")
                #expect(r.status == 503 && r.body.contains("/healthcheck/fail"), "\(r)")
                #expect(try await client.echo("still served").content == "still served")
                #expect(try await client.reverse("abc").content == "cba")
                #expect(try await httpRequest(port: admin, path: "/ready").status == 200)
                #expect(try await httpRequest("POST", port: admin, path: "/healthcheck/ok").status == 200)
                #expect(try await httpRequest(port: f.proxy.healthPort, path: "/healthz").status == 200)
                _ = try await client.echo("one more")
            }

            // /clusters: every cluster and endpoint with its state.
            try await Task.sleep(for: .milliseconds(300))   // a health check or two
            r = try await httpRequest(port: admin, path: "/clusters")
            #expect(r.status == 200)
            let clusters = try json(r.body)["clusters"] as! [[String: Any]]
            #expect(clusters.map { $0["name"] as! String } == ["echo-grpc", "reverse-grpc"])
            let echo = clusters[0]
            #expect(echo["grpc_services"] as? [String] == ["api.Echo"])
            #expect(echo["lb_policy"] as? String == "round_robin")
            #expect(echo["total_rpcs"] as? Int == 2)
            #expect(echo["retries"] as? Int == 0)
            #expect(echo["ejections"] as? Int == 0)
            let od = echo["outlier_detection"] as! [String: Any]
            #expect(od["consecutive_failures"] as? Int == 5)
            #expect(od["base_ejection_time_ms"] as? Int == 30_000)
            #expect(od["max_ejection_time_ms"] as? Int == 300_000)
            #expect(od["max_ejection_percent"] as? Int == 50)
            let endpoints = echo["endpoints"] as! [[String: Any]]
            #expect(Set(endpoints.map { $0["address"] as! String }) == Set(f.echo.map(\.address)))
            let keys: Set<String> = ["address", "ready", "serving", "terminating", "reachable", "healthy", "health",
                                     "ejected", "ejections", "ejected_until", "ejection_time_ms", "consecutive_failures",
                                     "active_rpcs", "total_rpcs", "failed_rpcs", "connect_failures", "connections"]
            for e in endpoints {
                #expect(Set(e.keys) == keys)
                #expect(e["healthy"] as? Bool == true && e["health"] as? String == "SERVING", "\(e)")
                #expect(e["ready"] as? Bool == true && e["reachable"] as? Bool == true)
                #expect(e["ejected"] as? Bool == false && e["ejected_until"] is NSNull)
                #expect(e["active_rpcs"] as? Int == 0 && e["total_rpcs"] as? Int == 1)
                #expect(e["failed_rpcs"] as? Int == 0 && e["connect_failures"] as? Int == 0)
                #expect((e["connections"] as? Int ?? 0) >= 1)
            }
            #expect((clusters[1]["endpoints"] as! [[String: Any]])[0]["health"] as? String == "not checked")

            // /config_dump: the routing table and the membership version.
            r = try await httpRequest(port: admin, path: "/config_dump")
            let dump = try json(r.body)
            #expect(dump["membership_version"] as? String == "static")
            #expect(dump["listen"] as? String == "127.0.0.1:\(f.proxy.port)")
            #expect(dump["tls"] as? Bool == true)
            #expect(dump["workers"] as? Int == 2)
            #expect(dump["max_connection_age_ms"] as? Int == 0)
            let routes = (dump["routes"] as! [[String: String]]).map { "\($0["grpc_service"]!)→\($0["cluster"]!)" }
            #expect(routes.sorted() == ["api.Echo→echo-grpc", "api.Reverse→reverse-grpc"])
        }
    }

    @Test func prometheusPageParsesAndCountsRPCsAndTheAccessLogHasEachOne() async throws {
        let echo = try await SampleBackend.start(.echo, hostname: "echo-1")
        let deadPort = try PortAllocator.freePorts(1)[0]
        let proxy = try await ProxyUnderTest.start([
            ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [echo.address],
                         extra: "    healthCheck: {interval: 100ms, timeout: 500ms}\n"),
            ProxyCluster(name: "dead", services: ["api.Reverse"], endpoints: ["127.0.0.1:\(deadPort)"]),
        ], tls: false, extraYAML: "accessLog: true\n")
        defer { Task { await proxy.stop(); _ = await echo.stop() } }

        let connectionsBefore = try PrometheusExposition(parsing: try await httpRequest(
            port: proxy.adminPort, path: "/stats/prometheus").body).value("portico_downstream_connections_total") ?? -1
        try await proxy.withClient { client in
            for i in 0..<4 { _ = try await client.echo("ok \(i)") }
            _ = try await client.echo("slow", metadata: ["x-delay-ms": "60"])
            for _ in 0..<2 {
                await #expect(throws: RPCError.self) { _ = try await client.echo("no", metadata: ["x-fail-code": "5"]) }
            }
            await #expect(throws: RPCError.self) { _ = try await client.reverse("nobody home") }
        }
        // Access log lines are written in batches, 200 ms after the first.
        var lines: [Substring] = []
        let deadline = ContinuousClock.now + .seconds(3)
        while lines.count < 8 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            lines = proxy.process.output.split(separator: "\n").filter { $0.hasPrefix("{\"method\"") }
        }
        let r = try await httpRequest(port: proxy.adminPort, path: "/stats/prometheus")
        #expect(r.status == 200)
        let page: PrometheusExposition
        do {
            page = try PrometheusExposition(parsing: r.body)
        } catch {
            Issue.record("\(error)\n\(r.body)")
            return
        }
        for family in page.order { #expect(page.families[family]?.help?.isEmpty == false, "\(family) has no HELP") }
        let echoLabel = ["cluster": "echo-grpc"]
        #expect(page.value("portico_downstream_connections") == 0)   // the client has gone
        #expect(page.value("portico_downstream_connections_total") == connectionsBefore + 1)
        #expect(page.value("portico_cluster_rpcs_total", echoLabel) == 7)
        #expect(page.value("portico_cluster_rpcs_finished_total", ["cluster": "echo-grpc", "grpc_status": "0"]) == 5)
        #expect(page.value("portico_cluster_rpcs_finished_total", ["cluster": "echo-grpc", "grpc_status": "5"]) == 2)
        #expect(page.value("portico_cluster_rpcs_finished_total", ["cluster": "dead", "grpc_status": "14"]) == 1)
        #expect((page.value("portico_cluster_upstream_connect_failures_total", ["cluster": "dead"]) ?? 0) >= 1)
        #expect((page.value("portico_upstream_connect_failures_total") ?? 0) >= 1)
        #expect(page.value("portico_cluster_upstream_connect_failures_total", echoLabel) == 0)
        #expect(page.value("portico_cluster_retries_total", echoLabel) == 0)
        #expect((page.value("portico_cluster_health_checks_total", ["cluster": "echo-grpc", "result": "success"]) ?? 0) >= 2)
        #expect(page.value("portico_cluster_health_checks_total", ["cluster": "echo-grpc", "result": "failure"]) == 0)
        #expect(page.value("portico_cluster_ejections_total", echoLabel) == 0)
        #expect(page.value("portico_endpoint_ejected", ["cluster": "echo-grpc", "endpoint": echo.address]) == 0)
        #expect(page.families["portico_cluster_rpc_duration_seconds"]?.type == "histogram")
        #expect(page.value("portico_cluster_rpc_duration_seconds_count", echoLabel) == 7)
        #expect(page.value("portico_cluster_rpc_duration_seconds_bucket", ["cluster": "echo-grpc", "le": "+Inf"]) == 7)
        // The 60 ms RPC is above the 50 ms bound; all are below 60 s.
        #expect((page.value("portico_cluster_rpc_duration_seconds_bucket", ["cluster": "echo-grpc", "le": "0.05"]) ?? 7) <= 6)
        #expect(page.value("portico_cluster_rpc_duration_seconds_bucket", ["cluster": "echo-grpc", "le": "60"]) == 7)
        #expect((page.value("portico_cluster_rpc_duration_seconds_sum", echoLabel) ?? 0) >= 0.06)
        #expect(page.samples("portico_cluster_rpc_duration_seconds_bucket").count == 2 * 17)

        // The access log: one JSON line per RPC.
        #expect(lines.count == 8, "\(proxy.process.outputTail())")
        var statuses: [String: Int] = [:]
        for line in lines {
            let e = try json(String(line))
            statuses["\(e["method"] as! String) \(e["grpc_status"] as! String)", default: 0] += 1
            #expect((e["duration_us"] as? Int ?? -1) >= 0)
            if e["method"] as? String == "/api.Echo/Echo" {
                #expect(e["cluster"] as? String == "echo-grpc" && e["upstream"] as? String == echo.address)
                #expect((e["request_bytes"] as? Int ?? 0) > 5)
            } else {
                #expect(e["cluster"] as? String == "dead" && e["upstream"] as? String == "127.0.0.1:\(deadPort)")
            }
            if e["grpc_status"] as? String == "0" { #expect((e["response_bytes"] as? Int ?? 0) > 5) }
        }
        #expect(statuses == ["/api.Echo/Echo 0": 5, "/api.Echo/Echo 5": 2, "/api.Reverse/Reverse 14": 1])
        let slow = lines.compactMap { try? json(String($0)) }.first { ($0["duration_us"] as? Int ?? 0) >= 60_000 }
        #expect(slow != nil, "no line shows the 60 ms RPC")
    }

    @Test func strictPrometheusReaderRefusesBrokenPages() throws {
        let good = """
            # HELP x_seconds A histogram.
            # TYPE x_seconds histogram
            x_seconds_bucket{le="0.1"} 1
            x_seconds_bucket{le="+Inf"} 2
            x_seconds_sum 0.3
            x_seconds_count 2
            # TYPE y_total counter
            y_total{a="q\\"uote"} 3

            """
        let page = try PrometheusExposition(parsing: good)
        #expect(page.value("y_total", ["a": "q\"uote"]) == 3)
        let broken = [
            good.replacingOccurrences(of: "_count 2", with: "_count 3"),           // +Inf != _count
            good.replacingOccurrences(of: "{le=\"0.1\"} 1", with: "{le=\"0.1\"} 5"), // decreasing buckets
            good.replacingOccurrences(of: "# TYPE y_total counter\n", with: ""),   // no TYPE
            good.replacingOccurrences(of: "y_total{a=", with: "y_total{1a="),        // bad label name
            good.replacingOccurrences(of: "} 3", with: "} three"),                   // bad value
            good.replacingOccurrences(of: "x_seconds_sum 0.3\n", with: ""),          // no _sum
            good + "x_seconds_bucket{le=\"1\"} 2\n",                                 // family split
            good + "y_total{a=\"q\\\"uote\"} 4\n",                                   // duplicate series
        ]
        for text in broken { #expect(throws: TestUtilityError.self) { try PrometheusExposition(parsing: text) } }
    }
}
