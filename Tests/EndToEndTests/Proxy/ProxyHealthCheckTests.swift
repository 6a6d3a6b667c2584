// Active gRPC health checks: NOT_SERVING instances stop getting RPCs and
// get them back when they recover.
import Foundation
import GRPCCore
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyHealthCheckTests {
    static let check = "    healthCheck: {interval: 200ms, timeout: 500ms, unhealthyThreshold: 2, healthyThreshold: 1}\n"

    func hosts(_ client: GRPCClient<some ClientTransport>, _ n: Int) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for i in 0..<n { out[try await client.echo("h\(i)").hostname ?? "?", default: 0] += 1 }
        return out
    }

    @Test func notServingInstanceIsTakenOutAndComesBack() async throws {
        try await ProxyFixture.with(reverseCount: 0, echoClusterExtra: Self.check) { f in
            try await f.withClient { client in
                #expect(try await hosts(client, 10) == ["echo-1": 5, "echo-2": 5])
                f.echo[1].process.signal(SIGUSR1)
                // interval × unhealthyThreshold, plus jitter and slack.
                try await Task.sleep(for: .milliseconds(900))
                #expect(try await hosts(client, 10) == ["echo-1": 10])
                let r = try await httpRequest(port: f.proxy.adminPort, path: "/clusters")
                #expect(r.body.contains("NOT_SERVING"), "\(r.body)")
                f.echo[1].process.signal(SIGUSR2)
                try await Task.sleep(for: .milliseconds(700))
                #expect(try await hosts(client, 10) == ["echo-1": 5, "echo-2": 5])
            }
        }
    }

    @Test func allUnhealthyIsUnavailableSayingSo() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, echoClusterExtra: Self.check) { f in
            f.echo[0].process.signal(SIGUSR1)
            try await Task.sleep(for: .milliseconds(900))
            try await f.withClient { client in
                do {
                    _ = try await client.echo("x")
                    Issue.record("expected UNAVAILABLE")
                } catch let e as RPCError {
                    #expect(e.code == .unavailable)
                    #expect(e.message.contains("failing health checks"), "\(e.message)")
                }
            }
        }
    }
}
