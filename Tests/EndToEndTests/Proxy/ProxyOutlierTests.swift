// Passive ejection (outlier detection): consecutive failures take an
// endpoint out for a growing time, never more than maxEjectionPercent of
// the cluster, and it comes back once that time is up.
import Foundation
import GRPCCore
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyOutlierTests {
    /// /clusters, decoded: endpoint address → its JSON object.
    static func endpoints(_ proxy: ProxyUnderTest, cluster: String = "echo-grpc") async throws -> [String: [String: Any]] {
        let r = try await httpRequest(port: proxy.adminPort, path: "/clusters")
        let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
        let c = (json["clusters"] as! [[String: Any]]).first { $0["name"] as? String == cluster }!
        var out: [String: [String: Any]] = [:]
        for e in c["endpoints"] as! [[String: Any]] { out[e["address"] as! String] = e }
        return out
    }

    /// Polls /clusters until `address` is (or is no longer) ejected.
    static func waitFor(ejected: Bool, _ address: String, _ proxy: ProxyUnderTest, within limit: Duration) async throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await endpoints(proxy)[address]?["ejected"] as? Bool == ejected { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(address) not \(ejected ? "ejected" : "back") within \(limit)")
    }

    @Test func ejectionGrowsWithEachEjectionAndEndsAfterItsTime() async throws {
        // ring_hash on x-key pins the failing RPCs to one endpoint.
        let extra = "    lbPolicy: ring_hash\n    hashHeader: x-key\n"
            + "    outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 1s, maxEjectionTime: 3s, maxEjectionPercent: 50}\n"
        try await ProxyFixture.with(reverseCount: 0, workers: 1, echoClusterExtra: extra) { f in
            try await f.withClient { client in
                let pinned: Metadata = ["x-key": "k"]
                var failing = pinned
                failing.addString("14", forKey: "x-fail-code")
                let first = try await client.echo("who", metadata: pinned).hostname!
                let (a, b) = first == "echo-1" ? (f.echo[0], f.echo[1]) : (f.echo[1], f.echo[0])

                func failThree(expecting host: String) async throws {
                    for _ in 0..<3 {
                        do {
                            _ = try await client.echo("fail", metadata: failing)
                            Issue.record("expected UNAVAILABLE")
                        } catch let e as RPCError {
                            #expect(e.code == .unavailable)
                            #expect(e.hostname == host, "\(e)")
                        }
                    }
                }

                // Three UNAVAILABLE in a row eject A for the base time; the
                // pinned key moves to B. B fails three times too, but
                // ejecting it would leave more than 50 % of the cluster out:
                // it stays.
                try await failThree(expecting: a.hostname)
                let ejectedAt = ContinuousClock.now
                try await failThree(expecting: b.hostname)
                var eps = try await Self.endpoints(f.proxy)
                #expect(eps[a.address]?["ejected"] as? Bool == true, "\(eps)")
                #expect(eps[a.address]?["ejections"] as? Int == 1)
                #expect(eps[a.address]?["ejection_time_ms"] as? Int == 1000)
                #expect((eps[a.address]?["ejected_until"] as? String)?.hasSuffix("Z") == true)
                #expect(eps[b.address]?["ejected"] as? Bool == false, "\(eps)")
                #expect(eps[b.address]?["consecutive_failures"] as? Int == 3)
                #expect(try await client.echo("moved", metadata: pinned).hostname == b.hostname)

                // A comes back after 1 s (its connection is up: the check passes at once).
                try await Self.waitFor(ejected: false, a.address, f.proxy, within: .seconds(4))
                let back = ContinuousClock.now - ejectedAt
                #expect(back >= .milliseconds(900), "back after \(back)")
                #expect(try await client.echo("home", metadata: pinned).hostname == a.hostname)

                // The second ejection lasts twice as long.
                try await failThree(expecting: a.hostname)
                eps = try await Self.endpoints(f.proxy)
                #expect(eps[a.address]?["ejected"] as? Bool == true, "\(eps)")
                #expect(eps[a.address]?["ejections"] as? Int == 2)
                #expect(eps[a.address]?["ejection_time_ms"] as? Int == 2000)
                try await Task.sleep(for: .milliseconds(1200))
                #expect(try await Self.endpoints(f.proxy)[a.address]?["ejected"] as? Bool == true)
                try await Self.waitFor(ejected: false, a.address, f.proxy, within: .seconds(4))
                #expect(try await client.echo("home again", metadata: pinned).hostname == a.hostname)

                let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                                   path: "/stats/prometheus").body)
                #expect(page.value("portico_cluster_ejections_total", ["cluster": "echo-grpc"]) == 2)
                #expect(page.value("portico_cluster_ejections_overflow_total", ["cluster": "echo-grpc"]) == 1)
            }
        }
    }
}
