// Backends failing under the proxy: retries, ejection of broken endpoints,
// and UNAVAILABLE when nothing is left.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyFailureTests {
    @Test func allInstancesDownIsUnavailableQuicklyWhileTheOtherServiceWorks() async throws {
        try await ProxyFixture.with { f in
            try await f.withClient { client in
                #expect(try await client.echo("up").content == "up")
                for b in f.echo { b.process.kill() }
                for b in f.echo { _ = try? await b.process.waitForExit() }
                let start = ContinuousClock.now
                do {
                    _ = try await client.echo("down")
                    Issue.record("expected UNAVAILABLE")
                } catch let e as RPCError {
                    #expect(e.code == .unavailable)
                    #expect(e.message.contains("echo-grpc"), "\(e.message)")
                }
                #expect(ContinuousClock.now - start < .seconds(2))
                // Again, now that both endpoints are known to be down.
                let again = ContinuousClock.now
                await #expect(throws: RPCError.self) { _ = try await client.echo("down") }
                #expect(ContinuousClock.now - again < .seconds(2))
                #expect(try await client.reverse("abc").content == "cba")
            }
        }
    }

    @Test func killedInstanceDuringSteadyTrafficFailsOnlyInFlightRPCsAndIsEjected() async throws {
        let outlier = "    outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 10s}\n"
        try await ProxyFixture.with(reverseCount: 0, echoClusterExtra: outlier) { f in
            let victim = f.echo[1]
            let result = try await f.withClient { client in
                try await withThrowingTaskGroup(of: CallerResult.self) { group in
                    // Four steady callers, each RPC taking 20 ms on the backend.
                    for w in 0..<4 {
                        group.addTask {
                            var ok = 0
                            var failed: [String] = []
                            for i in 0..<60 {
                                do {
                                    _ = try await client.echo("w\(w)-\(i)", metadata: ["x-delay-ms": "20"])
                                    ok += 1
                                } catch let e as RPCError {
                                    failed.append("\(e.code): \(e.message)")
                                }
                            }
                            return CallerResult(ok: ok, failed: failed)
                        }
                    }
                    try await Task.sleep(for: .milliseconds(400))
                    victim.process.kill()
                    var ok = 0
                    var failed: [String] = []
                    for try await r in group {
                        ok += r.ok
                        failed += r.failed
                    }
                    return CallerResult(ok: ok, failed: failed)
                }
            }
            // At most the RPCs in flight on the victim (one per caller) fail.
            #expect(result.failed.count <= 4, "\(result.failed)")
            #expect(result.ok + result.failed.count == 240)
            for failure in result.failed { #expect(failure.contains("unavailable") || failure.contains("UNAVAILABLE")) }
            // The broken connection and the failed reconnect probes that
            // followed ejected it.
            let victimState = try await ProxyOutlierTests.endpoints(f.proxy)[victim.address]
            #expect(victimState?["ejected"] as? Bool == true, "\(String(describing: victimState))")
            #expect((victimState?["ejections"] as? Int ?? 0) >= 1)
            let survivor = try await ProxyOutlierTests.endpoints(f.proxy)[f.echo[0].address]
            #expect(survivor?["ejected"] as? Bool == false)
        }
    }

    @Test func instanceRestartedOnTheSamePortComesBack() async throws {
        // Failed reconnect probes eject the dead instance; it returns once
        // its (short) ejection time is up and a connection comes up again.
        let outlier = "    outlierDetection: {baseEjectionTime: 500ms}\n"
        try await ProxyFixture.with(echoCount: 2, reverseCount: 0, echoClusterExtra: outlier) { f in
            try await f.withClient { client in
                let port = f.echo[1].port
                f.echo[1].process.kill()
                _ = try? await f.echo[1].process.waitForExit()
                for i in 0..<6 { #expect(try await client.echo("a\(i)").hostname == "echo-1") }
                let revived = try await SampleBackend.start(.echo, hostname: "echo-2b", port: port)
                defer { Task { _ = await revived.stop() } }
                // Reconnect probes back off to at most 2 s.
                var hosts = Set<String>()
                let deadline = ContinuousClock.now + .seconds(6)
                while ContinuousClock.now < deadline && !hosts.contains("echo-2b") {
                    hosts.insert(try await client.echo("b").hostname ?? "?")
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(hosts.contains("echo-2b"))
            }
        }
    }
}

struct CallerResult: Sendable {
    var ok: Int
    var failed: [String]
}

/// An endpoint whose address swallows SYNs (no RST, no answer), as a
/// blackholed pod IP does: only the connect timeout gets the RPC out.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ProxyBlackholeTests {
    @Test func aBlackholedEndpointCostsTheConnectTimeoutThenTheRPCMovesOn() async throws {
        let hole = try BlackholeListener()
        defer { hole.close() }
        #expect(!hole.connectCompletes(within: 300), "the blackhole accepted a connection")
        let echo = try await SampleBackend.start(.echo, hostname: "echo-1")
        let proxy = try await ProxyUnderTest.start([
            ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [hole.address, echo.address],
                         extra: "    connectTimeout: 400ms\n"),
            ProxyCluster(name: "void", services: ["api.Reverse"], endpoints: [hole.address],
                         extra: "    connectTimeout: 400ms\n"),
        ], tls: false)
        do {
            try await proxy.withClient { client in
                // Every RPC succeeds on the endpoint that answers; one that
                // tried the blackhole first waited the connect timeout for it.
                var slow = 0
                for i in 0..<4 {
                    let start = ContinuousClock.now
                    let r = try await client.echo("rpc \(i)")
                    #expect(r.content == "rpc \(i)" && r.hostname == "echo-1")
                    let elapsed = ContinuousClock.now - start
                    #expect(elapsed < .seconds(2), "\(elapsed)")
                    if elapsed >= .milliseconds(350) { slow += 1 }
                }
                #expect(slow >= 1, "no RPC ever waited for the blackholed endpoint")

                // Nothing but the blackhole: UNAVAILABLE after the timeout, naming the cluster.
                let start = ContinuousClock.now
                do {
                    _ = try await client.reverse("nowhere")
                    Issue.record("expected UNAVAILABLE")
                } catch let e as RPCError {
                    #expect(e.code == .unavailable, "\(e)")
                    #expect(e.message.contains("\"void\""), "\(e)")
                }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(350) && elapsed < .seconds(2), "\(elapsed)")
            }
        } catch {
            await proxy.stop()
            _ = await echo.stop()
            throw error
        }
        await proxy.stop()
        _ = await echo.stop()
    }
}
