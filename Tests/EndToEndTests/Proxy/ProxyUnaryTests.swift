// Unary RPCs through the TLS proxy: routing, balancing, statuses, metadata.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyUnaryTests {
    @Test func echoAndReverseThroughTLS() async throws {
        try await ProxyFixture.with { f in
            try await f.withClient { client in
                let e = try await client.echo("hello")
                #expect(e.content == "hello")
                #expect(["echo-1", "echo-2"].contains(e.hostname ?? ""))
                let r = try await client.reverse("hello")
                #expect(r.content == "olleh")
                #expect(["reverse-1", "reverse-2"].contains(r.hostname ?? ""))
            }
        }
    }

    @Test func balancesEveryRPCNotEveryConnection() async throws {
        try await ProxyFixture.with { f in
            let hosts = try await f.withClient { client in
                var hosts: [String: Int] = [:]
                for i in 0..<40 { hosts[try await client.echo("m\(i)").hostname ?? "?", default: 0] += 1 }
                return hosts
            }
            #expect(hosts == ["echo-1": 20, "echo-2": 20])
        }
    }

    @Test func unknownServiceIsUnimplementedNamingIt() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            try await f.withClient { client in
                do {
                    _ = try await client.reverse("x")
                    Issue.record("expected UNIMPLEMENTED")
                } catch let e as RPCError {
                    #expect(e.code == .unimplemented)
                    #expect(e.message.contains("api.Reverse"))
                }
                #expect(try await client.echo("still fine").content == "still fine")
            }
        }
    }

    @Test func fourMebibyteUnaryMessage() async throws {
        try await ProxyFixture.with(reverseCount: 0) { f in
            let big = String(repeating: "abcdefgh", count: 512 * 1024)
            try await f.withClient { client in
                let r = try await client.echo(big)
                #expect(r.content.utf8.count == 4 << 20)
                #expect(r.content == big)
            }
        }
    }

    @Test func everyStatusCodeWithAUnicodeMessagePassesUnchanged() async throws {
        try await ProxyFixture.with(reverseCount: 0) { f in
            try await f.withClient { client in
                for code in 1...16 {
                    let message = "statut \(code): ça va mal ✗ — 失败"
                    do {
                        var md = Metadata()
                        md.addString("\(code)", forKey: "x-fail-code")
                        md.addString(message, forKey: "x-fail-message")
                        _ = try await client.echo("x", metadata: md)
                        Issue.record("code \(code) did not fail")
                    } catch let e as RPCError {
                        #expect(e.code.rawValue == code)
                        #expect(e.message == message)
                        #expect(e.hostname != nil)
                    }
                }
                // 0 is success.
                #expect(try await client.echo("ok", metadata: ["x-fail-code": "0"]).content == "ok")
            }
        }
    }

    @Test func binaryMetadataTravelsBothWays() async throws {
        try await ProxyFixture.with(reverseCount: 0) { f in
            try await f.withClient { client in
                var md: Metadata = ["x-echo-text": "plain value"]
                let bytes: [UInt8] = [0, 1, 2, 0xFE, 0xFF, 10, 13]
                md.addBinary(bytes, forKey: "x-echo-blob-bin")
                let r = try await client.echo("m", metadata: md)
                #expect(Array(r.metadata[binaryValues: "x-echo-blob-bin"]) == [bytes])
                #expect(Array(r.trailingMetadata[binaryValues: "x-echo-blob-bin"]) == [bytes])
                #expect(Array(r.metadata[stringValues: "x-echo-text"]) == ["plain value"])
            }
        }
    }

    @Test func deadlineCancelsTheBackendHandler() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false) { f in
            // nghttp sends grpc-timeout as a plain header and, unlike a gRPC
            // client, keeps waiting past it: the status can only be the proxy's.
            let start = ContinuousClock.now
            let out = try nghttpEcho(port: f.proxy.port, "slow", headers: ["grpc-timeout: 200m", "x-delay-ms: 2000"])
            #expect(ContinuousClock.now - start < .seconds(1.5))
            #expect(out.contains("grpc-status: 4"), "\(out)")
            #expect(out.contains("grpc-message: deadline exceeded after 200ms (portico)"), "\(out)")
            // The handler saw the cancellation.
            try await f.echo[0].process.waitForOutput(containing: "CANCELLED", timeout: .seconds(3))
        }
    }

    @Test func routeTimeoutAppliesUnlessTheClientsDeadlineIsShorter() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false, echoClusterExtra: "    timeout: 1s\n") { f in
            try await f.withClient { client in
                _ = try await client.echo("warm up")
                // Within the route timeout: untouched.
                #expect(try await client.echo("quick", metadata: ["x-delay-ms": "300"]).content == "quick")

                // No deadline from the client (or a longer one): the route's 1 s ends the RPC.
                for clientTimeout in [nil, Duration.seconds(10)] {
                    var options = CallOptions.defaults
                    options.timeout = clientTimeout
                    let start = ContinuousClock.now
                    do {
                        _ = try await client.echo("slow", metadata: ["x-delay-ms": "4000"], options: options)
                        Issue.record("expected DEADLINE_EXCEEDED from the route timeout")
                    } catch let e as RPCError {
                        #expect(e.code == .deadlineExceeded, "\(e)")
                        #expect(e.message == "deadline exceeded after 1s (portico)", "\(e)")
                    }
                    let elapsed = ContinuousClock.now - start
                    #expect(elapsed >= .milliseconds(950) && elapsed < .seconds(2.5), "\(elapsed)")
                }
            }
            // Both handlers were cancelled, not left to run for 4 s.
            let backend = f.echo[0].process
            let deadline = ContinuousClock.now + .seconds(3)
            while backend.output.components(separatedBy: "CANCELLED").count < 3 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(backend.output.components(separatedBy: "CANCELLED").count == 3, "\(backend.output)")

            // A client deadline shorter than the route's wins.
            let out = try nghttpEcho(port: f.proxy.port, "slow", headers: ["grpc-timeout: 200m", "x-delay-ms: 2000"])
            #expect(out.contains("grpc-message: deadline exceeded after 200ms (portico)"), "\(out)")
        }
    }

    @Test func twoHundredConcurrentRPCsOnOneConnection() async throws {
        try await ProxyFixture.with(reverseCount: 0, extraYAML: "http2:\n  maxConcurrentStreams: 1000\n") { f in
            try await f.withClient { client in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<200 {
                        group.addTask { try await client.echo("c\(i)", metadata: ["x-delay-ms": "300"]).content }
                    }
                    var seen = Set<String>()
                    for try await c in group { seen.insert(c) }
                    #expect(seen.count == 200)
                }
            }
        }
    }

    @Test func oneHundredConnections() async throws {
        try await ProxyFixture.with(reverseCount: 0) { f in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<100 {
                    group.addTask {
                        try await f.withClient { client in
                            var ok = 0
                            for j in 0..<3 where try await client.echo("\(i)-\(j)").content == "\(i)-\(j)" { ok += 1 }
                            return ok
                        }
                    }
                }
                var total = 0
                for try await n in group { total += n }
                #expect(total == 300)
            }
        }
    }
}

/// One api.Echo/Echo call with nghttp (Debian nghttp2-client) over h2c,
/// `headers` as given; returns nghttp's verbose output (frames, headers, trailers).
func nghttpEcho(port: Int, _ content: String, headers: [String]) throws -> String {
    let body = FileManager.default.temporaryDirectory.appendingPathComponent("echo-\(UUID().uuidString).bin")
    try Data(RawHTTP2Client.echoMessage(content)).write(to: body)
    defer { try? FileManager.default.removeItem(at: body) }
    var arguments = ["-v", "-d", body.path, "-H", "content-type: application/grpc", "-H", "te: trailers"]
    for h in headers { arguments += ["-H", h] }
    return try run("/usr/bin/nghttp", arguments + ["http://127.0.0.1:\(port)/api.Echo/Echo"])
}
