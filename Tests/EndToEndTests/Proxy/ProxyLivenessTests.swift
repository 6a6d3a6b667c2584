// Backends that stop answering without closing, and backends that die and
// come back, under steady traffic from an independent grpcio client.
import Foundation
import Testing
import TestUtilities
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyLivenessTests {
    static func start(_ backends: [ProbeBackend], clusterExtra: String, extraYAML: String) async throws -> ProxyUnderTest {
        let cluster = ProxyCluster(name: "probe", services: ["api.Echo", "api.Probe"],
                                   endpoints: backends.map(\.address), extra: clusterExtra)
        return try await ProxyUnderTest.start([cluster], workers: 2, extraYAML: extraYAML)
    }

    static func loadClient(_ proxy: ProxyUnderTest, seconds: Int, timeout: Int = 10) throws -> ManagedProcess {
        try PythonClients.start("load_client.py", [
            "--port", "\(proxy.port)", "--ca", proxy.certificates!.caCertificate, "--duration", "\(seconds)",
            "--warmup", "0", "--concurrency", "4", "--rate", "200", "--timeout", "\(timeout)",
        ])
    }

    static func metrics(_ proxy: ProxyUnderTest) async throws -> PrometheusExposition {
        try PrometheusExposition(parsing: try await httpRequest(port: proxy.adminPort, path: "/stats/prometheus").body)
    }

    @Test func frozenBackendIsDetectedByKeepaliveAndItsRPCsGoElsewhere() async throws {
        let backends = [try await ProbeBackend.start(name: "probe-1"), try await ProbeBackend.start(name: "probe-2")]
        // No active health checks: only the PING keepalive can notice.
        let proxy = try await Self.start(backends, clusterExtra: "",
                                         extraYAML: "upstream:\n  keepalive: {interval: 1s, timeout: 1s}\n")
        let load = try Self.loadClient(proxy, seconds: 10)
        try await load.waitForOutput(containing: "ready")
        try await Task.sleep(for: .seconds(2))
        backends[1].process.signal(SIGSTOP)
        let result = try await PythonClients.result(of: load, timeout: .seconds(40))
        backends[1].process.signal(SIGCONT)
        let metrics = try await Self.metrics(proxy)
        print("frozen backend: \(result)")
        // RPCs caught on the frozen backend waited for the keepalive timeout
        // and were then retried on the other one: none failed, none hung.
        #expect(result.int("failed") == 0, "\(result)\n\(proxy.process.outputTail())")
        #expect(result.double("max_ms") < 6000, "\(result)")
        #expect((metrics.value("portico_keepalive_closes_total", ["side": "upstream"]) ?? 0) >= 1)
        #expect(proxy.process.output.contains("no PING acknowledgement"))
        await proxy.stop()
        for b in backends { await b.stop() }
    }

    @Test func killedBackendRestartedIsBackWithinTheHealthCheckInterval() async throws {
        let backends = [try await ProbeBackend.start(name: "probe-1"), try await ProbeBackend.start(name: "probe-2")]
        // Passive ejection at its defaults (30 s): only the passing active
        // check can bring the backend back this soon.
        let proxy = try await Self.start(backends,
                                         clusterExtra: "    healthCheck: {interval: 1s, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1}\n",
                                         extraYAML: "")
        let load = try Self.loadClient(proxy, seconds: 14)
        try await load.waitForOutput(containing: "ready")
        try await Task.sleep(for: .seconds(1))
        let victim = backends[1]
        victim.process.kill()
        _ = try? await victim.process.waitForExit()
        // Out of rotation first: the health checks see it fail.
        let down = ContinuousClock.now + .seconds(6)
        var healthy = true
        while healthy && ContinuousClock.now < down {
            healthy = try await ProxyOutlierTests.endpoints(proxy, cluster: "probe")[victim.address]?["healthy"] as? Bool ?? true
            if healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(!healthy, "the killed backend was never marked unhealthy")
        func served() async throws -> Double {
            try await Self.metrics(proxy).value("portico_endpoint_rpcs_total",
                                                 ["cluster": "probe", "endpoint": victim.address]) ?? 0
        }
        let before = try await served()
        let revived = try await ProbeBackend.start(name: "probe-2b", port: victim.port)
        let restarted = ContinuousClock.now
        var back: Duration?
        while ContinuousClock.now - restarted < .seconds(6) {
            if try await served() > before { back = ContinuousClock.now - restarted; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let result = try await PythonClients.result(of: load, timeout: .seconds(40))
        print("restarted backend back after \(String(describing: back)); load \(result)")
        // healthyThreshold × interval + 1 s.
        #expect(back != nil && back! <= .milliseconds(2_200), "back after \(String(describing: back))")
        // Only the RPCs in flight on the killed backend may fail.
        #expect(result.int("failed") <= 4, "\(result)")
        await proxy.stop()
        await revived.stop()
        await backends[0].stop()
    }

    @Test func clientKeepaliveClosesAClientThatStoppedAnsweringPings() async throws {
        let yaml = "limits:\n  clientKeepalive: {interval: 1s, timeout: 1s}\n"
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false, extraYAML: yaml) { f in
            try await f.withClient { client in
                // A peer that speaks the preface, then never answers a PING.
                let silent = try await RawHTTP2Client.connect(port: f.proxy.port)
                await silent.send(RawHTTP2Client.preface)
                #expect(await silent.waitUntilClosed(timeout: .seconds(6)), "the silent client was never closed")
                #expect(silent.frames.contains { $0.type == RawFrame.ping }, "no PING was sent")
                // grpc-swift answers PINGs: its connection, idle all that
                // time, still serves.
                #expect(try await client.echo("still here").content == "still here")
            }
            let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                               path: "/stats/prometheus").body)
            #expect((page.value("portico_keepalive_closes_total", ["side": "downstream"]) ?? 0) >= 1)
        }
    }
}
