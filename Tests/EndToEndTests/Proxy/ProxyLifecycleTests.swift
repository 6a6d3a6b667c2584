// How client connections end: SIGTERM under load, and the maximum
// connection age that makes long-lived clients reconnect.
import Foundation
import GRPCCore
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyLifecycleTests {
    /// One RPC as a caller saw it.
    struct Call: Sendable {
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant
        var error: RPCError?
    }

    @Test func sigtermUnderLoadFinishesEveryRPCStartedBeforeTheGoAway() async throws {
        let f = try await ProxyFixture.start(reverseCount: 0, tls: false,
                                             extraYAML: "drain: {delay: 400ms, timeout: 10s}\n")
        defer { Task { await f.stop() } }
        // A second client connection that only watches: the time its GOAWAY
        // arrives is when the proxy sent them, measured, not assumed.
        let watcher = try await RawHTTP2Client.connect(port: f.proxy.port)
        defer { Task { await watcher.close() } }
        await watcher.send(RawHTTP2Client.preface)
        let sigterm = Moment()
        let calls = try await f.withClient { client in
            try await withThrowingTaskGroup(of: [Call].self) { group in
                for w in 0..<8 {
                    group.addTask {
                        var calls: [Call] = []
                        // Until the first refusal, or 1.5 s after SIGTERM.
                        while true {
                            let started = ContinuousClock.now
                            if let t = sigterm.value, started - t > .milliseconds(1500) { break }
                            do {
                                _ = try await client.echo("w\(w)", metadata: ["x-delay-ms": "150"])
                                calls.append(Call(started: started, ended: .now, error: nil))
                            } catch let e as RPCError {
                                calls.append(Call(started: started, ended: .now, error: e))
                                break
                            }
                        }
                        return calls
                    }
                }
                try await Task.sleep(for: .milliseconds(500))
                sigterm.mark()
                f.proxy.process.signal(SIGTERM)
                // Load balancers see /healthz fail during the drain delay.
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await httpRequest(port: f.proxy.healthPort, path: "/healthz").status == 503)
                var all: [Call] = []
                for try await c in group { all += c }
                return all
            }
        }
        let t = sigterm.value!
        let goAwayFrame = await watcher.waitForFrame(timeout: .seconds(3)) { $0.type == RawFrame.goAway }
        let goAway = try #require(goAwayFrame?.receivedAt, "no GOAWAY reached the watching connection")
        // Not before the drain delay, and not long after it.
        #expect(goAway - t >= .milliseconds(400) && goAway - t < .milliseconds(1400), "GOAWAY \(goAway - t) after SIGTERM")
        // RPCs in flight when the GOAWAY went out, and those started before
        // it, all succeeded. (A few ms are left out for the other
        // connection, which may get its GOAWAY on another worker a moment later.)
        let before = calls.filter { $0.started < goAway - .milliseconds(20) }
        #expect(before.count >= 16)
        #expect(calls.contains { $0.started < goAway && $0.ended > goAway && $0.error == nil })
        for c in before { #expect(c.error == nil, "\(String(describing: c.error))") }
        // Afterwards new RPCs are refused (the listener is closed), nothing else.
        for c in calls where c.error != nil { #expect(c.error?.code == .unavailable, "\(String(describing: c.error))") }
        #expect(try await f.proxy.process.waitForExit(timeout: .seconds(10)) == .exited(0))
    }

    @Test func drainTimeoutEndsRPCsStillInFlight() async throws {
        let f = try await ProxyFixture.start(echoCount: 1, reverseCount: 0, tls: false,
                                             extraYAML: "drain: {delay: 100ms, timeout: 1s}\n")
        defer { Task { await f.stop() } }
        try await f.withClient { client in
            _ = try await client.echo("warm up")
            let started = ContinuousClock.now
            let slow = Task { try await client.echo("too slow", metadata: ["x-delay-ms": "8000"]) }
            var inFlight = false
            while !inFlight && ContinuousClock.now - started < .seconds(5) {
                inFlight = try await httpRequest(port: f.proxy.adminPort, path: "/clusters").body
                    .contains("\"active_rpcs\":1")
                if !inFlight { try await Task.sleep(for: .milliseconds(20)) }
            }
            try #require(inFlight, "the RPC never showed as active in /clusters")
            let signalled = ContinuousClock.now
            f.proxy.process.signal(SIGTERM)
            // The proxy waits out drain.timeout, not the RPC's 8 s, and exits 0.
            #expect(try await f.proxy.process.waitForExit(timeout: .seconds(6)) == .exited(0))
            let exited = ContinuousClock.now - signalled
            #expect(exited >= .milliseconds(1000) && exited < .seconds(3), "exited \(exited) after SIGTERM")
            do {
                _ = try await slow.value
                Issue.record("an RPC outlived drain.timeout")
            } catch let e as RPCError {
                #expect(e.code == .unavailable, "\(e)")
            }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
        // The backend's handler learnt that nobody waits for it any more.
        try await f.echo[0].process.waitForOutput(containing: "CANCELLED", timeout: .seconds(3))
    }

    @Test func maxConnectionAgeSendsGoAwayAndRPCsMoveToANewConnection() async throws {
        let yaml = "maxConnectionAge: 600ms\nmaxConnectionAgeGrace: 1s\n"
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, extraYAML: yaml) { f in
            let (succeeded, neverSent) = try await f.withClient { client in
                // Connected first, so that the two long RPCs share the first connection.
                _ = try await client.echo("warm up")
                // Spans the first GOAWAY, ends within the grace: succeeds.
                let long = Task { try await client.echo("long", metadata: ["x-delay-ms": "1200"]) }
                // Outlives the grace (0.6 s ± 10 %, 1 s notice, 1 s grace): cut off.
                let tooLong = Task { try await client.echo("too long", metadata: ["x-delay-ms": "4000"]) }
                let start = ContinuousClock.now
                var ok = 0
                var neverSent: [String] = []
                while ContinuousClock.now - start < .milliseconds(2500) {
                    do {
                        _ = try await client.echo("steady", metadata: ["x-delay-ms": "20"])
                        ok += 1
                    } catch let e as RPCError where e.code == .unavailable {
                        // grpc-swift's client races its own reconnect after a
                        // GOAWAY and fails some RPCs without sending them
                        // ("no subchannel available", grpc-swift-nio-transport
                        // PR 196). The proxy's counters below show that every
                        // RPC it received succeeded.
                        neverSent.append(e.message)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                #expect(ok > 20, "\(ok) succeeded, failed in the client: \(neverSent)")
                #expect(try await long.value.content == "long")
                do {
                    _ = try await tooLong.value
                    Issue.record("an RPC longer than age + grace was not cut off")
                } catch let e as RPCError {
                    #expect(e.code == .unavailable, "\(e)")
                }
                #expect(ContinuousClock.now - start < .milliseconds(3900))
                return (ok + 2, neverSent)
            }
            let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                               path: "/stats/prometheus").body)
            #expect((page.value("portico_downstream_connections_total") ?? 0) >= 3)
            #expect((page.value("portico_downstream_max_age_goaways_total") ?? 0) >= 2)
            // The proxy received the RPCs that succeeded and the one cut
            // off, nothing else: what the client failed never left it.
            #expect(page.value("portico_downstream_requests_total") == Double(succeeded + 1), "\(neverSent)")
            // All succeeded but the one cut off at the end of the grace
            // (which the proxy saw as cancelled).
            #expect(page.value("portico_cluster_rpcs_finished_total", ["cluster": "echo-grpc", "grpc_status": "0"])
                    == Double(succeeded))
            let finished = page.samples("portico_cluster_rpcs_finished_total")
            #expect(finished.filter { $0.labels["grpc_status"] != "0" }.map { $0.labels["grpc_status"]! } == ["1"],
                    "\(finished)")
        }
    }
}

/// A moment one task marks and others read.
final class Moment: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)
    var value: ContinuousClock.Instant? { instant.withLock { $0 } }
    func mark() { instant.withLock { $0 = .now } }
}

import Synchronization
