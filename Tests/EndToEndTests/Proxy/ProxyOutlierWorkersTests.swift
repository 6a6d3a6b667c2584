// Passive ejection with two workers: each worker judges an endpoint on what
// its own RPCs see, so a dead backend is ejected by every worker that sent
// it traffic, and each client connection (one per worker) stops using it.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(2))) struct ProxyOutlierWorkersTests {
    @Test func everyWorkerEjectsADeadBackendItUsed() async throws {
        let outlier = "    outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 30s}\n"
        try await ProxyFixture.with(reverseCount: 0, workers: 2, echoClusterExtra: outlier) { f in
            let victim = f.echo[1]
            // Two client connections: accepted in turn, so one per worker.
            try await f.withClient { first in
                try await f.withClient { second in
                    for client in [first, second] {
                        var hosts = Set<String>()
                        for i in 0..<6 { hosts.insert(try await client.echo("warm\(i)").hostname ?? "?") }
                        #expect(hosts == ["echo-1", "echo-2"], "both backends in use: \(hosts)")
                    }
                    victim.process.kill()
                    _ = try? await victim.process.waitForExit()
                    // Each worker's reconnect probes fail until it ejects the
                    // endpoint; from then on only echo-1 answers, with no error.
                    for client in [first, second] {
                        var errors = 0
                        var tail: [String] = []
                        let deadline = ContinuousClock.now + .seconds(10)
                        while tail.count < 10 && ContinuousClock.now < deadline {
                            do {
                                let host = try await client.echo("after").hostname ?? "?"
                                tail = host == "echo-1" ? tail + [host] : []
                            } catch {
                                errors += 1
                                tail = []
                            }
                        }
                        #expect(tail.count == 10, "the dead backend still gets RPCs")
                        #expect(errors <= 2, "\(errors) RPCs failed on one connection")
                    }
                }
            }
            // The failed reconnect probes (50 ms backing off) reach the
            // threshold on both workers.
            var ejections = 0.0
            let deadline = ContinuousClock.now + .seconds(6)
            while ejections < 2 && ContinuousClock.now < deadline {
                let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                                   path: "/stats/prometheus").body)
                ejections = page.value("portico_cluster_ejections_total", ["cluster": "echo-grpc"]) ?? 0
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(ejections == 2, "one ejection per worker, got \(ejections)")
            let state = try await ProxyOutlierTests.endpoints(f.proxy)[victim.address]
            #expect(state?["ejected"] as? Bool == true, "\(String(describing: state))")
        }
    }
}
