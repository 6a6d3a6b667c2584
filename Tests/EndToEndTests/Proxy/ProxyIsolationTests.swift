// No client can hurt another (docs/security.md, "Isolation"): hostile
// clients that never read, or that upload to a backend that does not read,
// run against the real proxy while an independent grpcio client calls the
// same service. That client must see no failure and a p99 within 10× its
// unloaded p99, and the proxy's peak memory must stay within 64 MiB of
// what it was before the attack.
import Foundation
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(4))) struct ProxyIsolationTests {
    /// Two fast grpcio backends behind the proxy, health-checked every second
    /// as a user of the tutorial would configure them.
    static func withProbeCluster(workers: Int, _ body: (ProxyUnderTest, [ProbeBackend]) async throws -> Void) async throws {
        let backends = [try await ProbeBackend.start(name: "probe-1"), try await ProbeBackend.start(name: "probe-2")]
        let cluster = ProxyCluster(name: "probe", services: ["api.Echo", "api.Probe"],
                                   endpoints: backends.map(\.address),
                                   extra: "    healthCheck: {interval: 1s, timeout: 1s, unhealthyThreshold: 2}\n")
        let proxy = try await ProxyUnderTest.start([cluster], workers: workers)
        do {
            try await body(proxy, backends)
        } catch {
            await proxy.stop()
            for b in backends { await b.stop() }
            throw error
        }
        await proxy.stop()
        for b in backends { await b.stop() }
    }

    static func metrics(_ proxy: ProxyUnderTest) async throws -> PrometheusExposition {
        try PrometheusExposition(parsing: try await httpRequest(port: proxy.adminPort, path: "/stats/prometheus").body)
    }

    static func load(_ proxy: ProxyUnderTest, seconds: Int) async throws -> ClientResult {
        try await PythonClients.run("load_client.py", [
            "--port", "\(proxy.port)", "--ca", proxy.certificates!.caCertificate,
            "--duration", "\(seconds)", "--warmup", "1", "--concurrency", "4", "--rate", "400",
        ], timeout: .seconds(seconds + 30))
    }

    /// Runs the innocent client unloaded, then again while `attack` runs,
    /// and judges both.
    static func judge(_ proxy: ProxyUnderTest, baseline: ClientResult, attack: ManagedProcess,
                      name: String) async throws {
        try await attack.waitForOutput(containing: "ready", timeout: .seconds(30))
        // The attack is at full weight once the budgets start resetting
        // the attackers' streams.
        var resets = 0.0
        let engaged = ContinuousClock.now + .seconds(10)
        while resets == 0 && ContinuousClock.now < engaged {
            resets = try await metrics(proxy).samples("portico_streams_reset_for_memory_total")
                .reduce(0) { $0 + $1.value }
            if resets == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(resets > 0, "\(name): the attack never filled a buffer budget")
        let before = try proxy.memory()
        let attacked = try await load(proxy, seconds: 6)
        let baselineP99 = baseline.double("p99_ms")
        #expect(attacked.double("p99_ms") <= 10 * max(baselineP99, 2),
                "\(name): p99 \(attacked.double("p99_ms")) ms under attack, \(baselineP99) ms without")
        let after = try proxy.memory()
        let attacker = try await PythonClients.result(of: attack, timeout: .seconds(60))
        print("\(name): attacker \(attacker); innocent client \(attacked)")

        #expect(attacked.int("failed") == 0, "\(name): innocent RPCs failed: \(attacked)\n\(proxy.process.outputTail())")
        #expect(attacked.int("ok") > 500, "\(name): too few innocent RPCs: \(attacked)")
        let growthKiB = after.peak - before.rss
        #expect(growthKiB < 64 << 10, "\(name): peak RSS grew \(growthKiB) KiB under attack")
    }

    @Test(arguments: [1, 2]) func clientsThatNeverReadDoNotHurtOthers(workers: Int) async throws {
        try await Self.withProbeCluster(workers: workers) { proxy, _ in
            let baseline = try await Self.load(proxy, seconds: 3)
            #expect(baseline.int("failed") == 0, "baseline: \(baseline)")
            // 16 TLS clients × 4 server streams of 64 KiB messages, windows
            // opened wide, then never read.
            let attack = try PythonClients.start("slow_readers.py", [
                "--port", "\(proxy.port)", "--ca", proxy.certificates!.caCertificate,
                "--connections", "16", "--streams", "4", "--chunk-bytes", "65536", "--duration", "14",
            ])
            try await Self.judge(proxy, baseline: baseline, attack: attack, name: "slow readers, \(workers) worker(s)")
            let attacked = try await Self.load(proxy, seconds: 2)
            #expect(attacked.int("failed") == 0, "after the attack: \(attacked)")
            // The budgets did the work: the attackers' streams were reset.
            let metrics = try await Self.metrics(proxy)
            #expect((metrics.value("portico_streams_reset_for_memory_total", ["direction": "response"]) ?? 0) > 0,
                    "no stream was reset for memory: \(metrics.samples("portico_streams_reset_for_memory_total"))")
            #expect(metrics.value("portico_cluster_health_checks_total", ["cluster": "probe", "result": "failure"]) == 0,
                    "health checks failed during the attack")
        }
    }

    @Test(arguments: [1, 2]) func uploadsToABackendThatDoesNotReadDoNotHurtOthers(workers: Int) async throws {
        try await Self.withProbeCluster(workers: workers) { proxy, _ in
            let baseline = try await Self.load(proxy, seconds: 3)
            #expect(baseline.int("failed") == 0, "baseline: \(baseline)")
            let attack = try PythonClients.start("slow_uploaders.py", [
                "--port", "\(proxy.port)", "--ca", proxy.certificates!.caCertificate,
                "--connections", "8", "--streams", "8", "--duration", "14",
            ])
            try await Self.judge(proxy, baseline: baseline, attack: attack, name: "slow uploads, \(workers) worker(s)")
            let metrics = try await Self.metrics(proxy)
            #expect(metrics.value("portico_cluster_health_checks_total", ["cluster": "probe", "result": "failure"]) == 0,
                    "health checks failed during the attack")
        }
    }
}
