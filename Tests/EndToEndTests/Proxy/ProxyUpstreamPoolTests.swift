// The upstream pool opens another connection when a backend's
// MAX_CONCURRENT_STREAMS is reached, instead of queueing RPCs.
import Foundation
import GRPCCore
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyUpstreamPoolTests {
    @Test func opensAnotherConnectionAtTheStreamLimit() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "narrow", extraArguments: ["--max-concurrent-streams", "4"])
        let proxy = try await ProxyUnderTest.start(
            [ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [backend.address])], workers: 1)
        do {
            try await proxy.withClient { client in
                // One RPC first, so the backend's SETTINGS (limit 4) are known.
                _ = try await client.echo("warm up")
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<16 {
                        group.addTask { try await client.echo("p\(i)", metadata: ["x-delay-ms": "500"]).content }
                    }
                    var n = 0
                    for try await _ in group { n += 1 }
                    #expect(n == 16)
                }
                // 16 RPCs of 500 ms over connections of 4 streams each ran side
                // by side, not four rounds one after another.
                #expect(ContinuousClock.now - start < .milliseconds(1900))
            }
            let r = try await httpRequest(port: proxy.adminPort, path: "/clusters")
            let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
            let endpoint = ((json["clusters"] as! [[String: Any]])[0]["endpoints"] as! [[String: Any]])[0]
            #expect((endpoint["connections"] as! Int) >= 4, "\(r.body)")
        } catch {
            await proxy.stop()
            _ = await backend.stop()
            throw error
        }
        await proxy.stop()
        _ = await backend.stop()
    }
}
