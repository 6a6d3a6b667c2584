// Circuit breakers, connection rotation and running out of file
// descriptors: overload answered at once with a status that names the
// limit, never queued without bound, and never leaving the pool stuck.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyCircuitBreakerTests {
    /// `count` Echo calls at once, each held `delayMs` by the backend.
    static func burst(_ client: GRPCClient<HTTP2ClientTransport.Posix>, count: Int, delayMs: Int) async throws
        -> (ok: Int, failures: [RPCError]) {
        try await withThrowingTaskGroup(of: RPCError?.self) { group in
            for i in 0..<count {
                group.addTask {
                    do {
                        _ = try await client.echo("b\(i)", metadata: ["x-delay-ms": "\(delayMs)"])
                        return nil
                    } catch let e as RPCError {
                        return e
                    }
                }
            }
            var ok = 0
            var failures: [RPCError] = []
            for try await r in group { if let r { failures.append(r) } else { ok += 1 } }
            return (ok, failures)
        }
    }

    static func counter(_ f: ProxyFixture, _ limit: String) async throws -> Double {
        let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                           path: "/stats/prometheus").body)
        return page.value("portico_cluster_circuit_breaker_overflows_total",
                          ["cluster": "echo-grpc", "limit": limit]) ?? -1
    }

    @Test func maxRequestsOverflowIsUnavailableAtOnceNamingTheLimit() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, workers: 1,
                                    echoClusterExtra: "    circuitBreakers: {maxRequests: 4}\n") { f in
            try await f.withClient { client in
                let start = ContinuousClock.now
                let (ok, failures) = try await Self.burst(client, count: 10, delayMs: 600)
                #expect(ok == 4)
                #expect(failures.count == 6)
                for e in failures {
                    #expect(e.code == .unavailable)
                    #expect(e.message.contains("maxRequests (4)"), "\(e.message)")
                }
                #expect(ContinuousClock.now - start < .seconds(3))
                #expect(try await Self.counter(f, "max_requests") == 6)
                // The limit frees as RPCs end.
                #expect(try await client.echo("after").content == "after")
            }
        }
    }

    @Test func maxPendingRequestsOverflowsWhenTheBackendHasNoFreeStream() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-1",
                                                    extraArguments: ["--max-concurrent-streams", "2"])
        let cluster = ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [backend.address],
                                   extra: "    circuitBreakers: {maxPendingRequests: 3}\n")
        let proxy = try await ProxyUnderTest.start([cluster], workers: 1,
                                                   extraYAML: "limits:\n  maxUpstreamConnectionsPerEndpoint: 1\n")
        let f = ProxyFixture(echo: [backend], reverse: [], proxy: proxy)
        defer { Task { await f.stop() } }
        try await f.withClient { client in
            // Warm: the connection is up and the backend's limit of 2 known.
            #expect(try await client.echo("warm").content == "warm")
            let (ok, failures) = try await Self.burst(client, count: 10, delayMs: 500)
            // 2 on the backend, 3 waiting in the proxy, 5 refused.
            #expect(ok == 5, "\(failures.map(\.message))")
            #expect(failures.count == 5)
            for e in failures {
                #expect(e.code == .unavailable)
                #expect(e.message.contains("maxPendingRequests (3)"), "\(e.message)")
            }
            #expect(try await Self.counter(f, "max_pending_requests") == 5)
        }
    }

    @Test func upstreamConnectionsRotateAtMaxRequestsPerConnection() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, workers: 1,
                                    extraYAML: "upstream:\n  maxRequestsPerConnection: 5\n") { f in
            try await f.withClient { client in
                for i in 0..<23 {
                    let reply = try await client.echo("r\(i)")
                    #expect(reply.content == "r\(i)")
                }
            }
            let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                               path: "/stats/prometheus").body)
            #expect((page.value("portico_upstream_rotations_total") ?? 0) >= 4)
        }
    }

    @Test func runningOutOfFileDescriptorsFailsRPCsCleanlyAndRecovers() async throws {
        // The proxy gets few descriptors; idle client connections use them
        // up, so the connection to the backend cannot even be created
        // (EMFILE). Those RPCs fail with UNAVAILABLE, the failed connection
        // leaves the pool, and once descriptors are free again RPCs work.
        let echo = try await SampleBackend.start(.echo, hostname: "echo-1")
        let reverse = try await SampleBackend.start(.reverse, hostname: "reverse-1")
        let clusters = [
            ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [echo.address],
                         extra: "    outlierDetection: {consecutiveFailures: 0}\n"),
            ProxyCluster(name: "reverse-grpc", services: ["api.Reverse"], endpoints: [reverse.address]),
        ]
        let proxy = try await ProxyUnderTest.start(clusters, workers: 1, launcher: ["/usr/bin/prlimit", "--nofile=64:64"])
        defer { Task { await proxy.stop(); _ = await echo.stop(); _ = await reverse.stop() } }
        try await proxy.withClient { client in
            // The client's connection is up (through the other cluster); the
            // echo cluster has no upstream connection yet.
            #expect(try await client.reverse("abc").content == "cba")
            var hogs: [RawHTTP2Client] = []
            // Fill the descriptor table with plain TCP connections.
            for _ in 0..<80 {
                guard let raw = try? await RawHTTP2Client.connect(port: proxy.port) else { break }
                hogs.append(raw)
            }
            try await Task.sleep(for: .milliseconds(300))
            var refused = 0
            for i in 0..<3 {
                do {
                    _ = try await client.echo("full\(i)")
                } catch let e as RPCError {
                    #expect(e.code == .unavailable, "\(e)")
                    // The first names the connect error; the endpoint is then
                    // known unreachable until a reconnect probe succeeds.
                    #expect(e.message.contains(refused == 0 ? "upstream connect error" : "none reachable"), "\(e.message)")
                    refused += 1
                }
            }
            #expect(refused > 0, "the descriptor table never filled up (\(hogs.count) connections)")
            for raw in hogs { await raw.close() }
            try await Task.sleep(for: .seconds(1))
            var answered = false
            for i in 0..<20 where !answered {
                answered = (try? await client.echo("free\(i)"))?.content == "free\(i)"
                if !answered { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(answered, "RPCs still fail after descriptors were freed\n\(proxy.process.outputTail())")
        }
    }
}
