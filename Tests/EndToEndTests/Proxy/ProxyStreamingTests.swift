// Streaming RPCs through the proxy, with flow control coupled end to end.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyStreamingTests {
    static let mebibyte = String(repeating: "0123456789abcdef", count: 65536)

    /// What the proxy's peak memory may grow by for one stream: "a few
    /// windows" (README), a window being 1 MiB per stream toward the backend
    /// and toward the client; the growth measured is about 4 MiB, the rest is
    /// headroom for the allocator and TLS. A proxy that buffered the stream
    /// instead of coupling the windows would grow by tens of MiB.
    static let memoryBoundKiB = 8 * 1024

    @Test func serverStreamingSixtyFourMebibytesToASlowReader() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            let before = try f.proxy.memory()
            let (count, bytes) = try await f.withClient { client in
                try await Api_Echo.Client(wrapping: client).expand(
                    .with { $0.content = Self.mebibyte }, metadata: ["x-repeat": "64"]
                ) { response in
                    var count = 0
                    var bytes = 0
                    for try await m in response.messages {
                        count += 1
                        bytes += m.content.utf8.count
                        // A slow reader: the proxy must not buffer the stream.
                        try await Task.sleep(for: .milliseconds(25))
                    }
                    return (count, bytes)
                }
            }
            #expect(count == 64)
            #expect(bytes == 64 << 20)
            let after = try f.proxy.memory()
            // Flow control bounds what the proxy holds to a few windows, far
            // below the 64 MiB that passed through it.
            #expect(after.peak - before.rss < Self.memoryBoundKiB, "peak RSS grew by \(after.peak - before.rss) KiB")
        }
    }

    @Test func clientStreamingSixtyFourMebibytes() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            let before = try f.proxy.memory()
            let summary = try await f.withClient { client in
                try await Api_Echo.Client(wrapping: client).collect(metadata: ["x-read-delay-ms": "25"]) { writer in
                    for _ in 0..<64 { try await writer.write(.with { $0.content = Self.mebibyte }) }
                } onResponse: { try $0.message.content }
            }
            #expect(summary == "64 messages, \(64 << 20) bytes")
            let after = try f.proxy.memory()
            #expect(after.peak - before.rss < Self.memoryBoundKiB, "peak RSS grew by \(after.peak - before.rss) KiB")
        }
    }

    @Test func bidiStreamingEchoesEveryMessage() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            let received = try await f.withClient { client in
                try await Api_Echo.Client(wrapping: client).update { writer in
                    for i in 0..<100 { try await writer.write(.with { $0.content = "msg-\(i)" }) }
                } onResponse: { response in
                    var out: [String] = []
                    for try await m in response.messages { out.append(m.content) }
                    return out
                }
            }
            #expect(received == (0..<100).map { "msg-\($0)" })
        }
    }

    @Test func bidiStreamingSixtyFourMebibytesEachWay() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            let bytes = try await f.withClient { client in
                try await Api_Echo.Client(wrapping: client).update { writer in
                    for _ in 0..<64 { try await writer.write(.with { $0.content = Self.mebibyte }) }
                } onResponse: { response in
                    var bytes = 0
                    for try await m in response.messages {
                        bytes += m.content.utf8.count
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return bytes
                }
            }
            #expect(bytes == 64 << 20)
        }
    }

    @Test func clientCancellationReachesTheBackend() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            func connectionsAccepted() async throws -> Double? {
                try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                        path: "/stats/prometheus").body)
                    .value("portico_downstream_connections_total")
            }
            try await f.withClient { client in
                _ = try await client.echo("warm up")
                let connections = try await connectionsAccepted()
                let task = Task { try await client.echo("wait", metadata: ["x-delay-ms": "5000"]) }
                try await Task.sleep(for: .milliseconds(300))
                task.cancel()
                _ = try? await task.value
                // The client's RST_STREAM alone must reach the backend: the
                // connection stays open, so its teardown cannot be what did it.
                try await f.echo[0].process.waitForOutput(containing: "CANCELLED", timeout: .seconds(3))
                #expect(try await client.echo("same connection").content == "same connection")
                #expect(try await connectionsAccepted() == connections, "the client reconnected")
            }
        }
    }
}
