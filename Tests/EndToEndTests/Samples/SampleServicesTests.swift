// The sample backends, called directly (no proxy) with grpc-swift-2.

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

@Suite("Sample services", .timeLimit(.minutes(2)))
struct SampleServicesTests {
    @Test("Echo returns the content and the instance's hostname")
    func echo() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-test-1")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let reply = try await client.echo("hello")
            #expect(reply.content == "hello")
            #expect(reply.hostname == "echo-test-1")
        }
        #expect(await backend.stop() == .exited(0))
    }

    @Test("Reverse reverses by Unicode characters")
    func reverse() async throws {
        let backend = try await SampleBackend.start(.reverse, hostname: "reverse-test-1")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let reply = try await client.reverse("héllo 👋🏽!")
            #expect(reply.content == "!👋🏽 olléh")
            #expect(reply.hostname == "reverse-test-1")
        }
    }

    @Test("Expand streams x-repeat copies, or one message per word")
    func expand() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-expand")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let echo = Api_Echo.Client(wrapping: client)
            let repeated = try await echo.expand(.with { $0.content = "ab" },
                                                 metadata: [SampleMetadataKey.repeatCount: "3"]) { response in
                #expect(response.metadata[stringValues: "hostname"].first { _ in true } == "echo-expand")
                return try await response.messages.reduce(into: []) { $0.append($1.content) }
            }
            #expect(repeated == ["ab", "ab", "ab"])

            let words = try await echo.expand(.with { $0.content = "one two three" }) { response in
                try await response.messages.reduce(into: []) { $0.append($1.content) }
            }
            #expect(words == ["one", "two", "three"])
        }
    }

    @Test("Collect counts messages and bytes")
    func collect() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-collect")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let summary = try await Api_Echo.Client(wrapping: client).collect { writer in
                try await writer.write(.with { $0.content = "abc" })
                try await writer.write(.with { $0.content = "é" })  // two UTF-8 bytes
                try await writer.write(.with { $0.content = String(repeating: "x", count: 1 << 20) })
            } onResponse: { try $0.message.content }
            #expect(summary == "3 messages, \((1 << 20) + 5) bytes")
        }
    }

    @Test("x-read-delay-ms makes the handler a slow reader")
    func readDelay() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-slow-reader")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let started = ContinuousClock.now
            let summary = try await Api_Echo.Client(wrapping: client).collect(
                metadata: [SampleMetadataKey.readDelayMilliseconds: "100"]
            ) { writer in
                for _ in 0..<3 { try await writer.write(.with { $0.content = "x" }) }
            } onResponse: { try $0.message.content }
            #expect(summary == "3 messages, 3 bytes")
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }

    @Test("Update echoes every message as it arrives")
    func update() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-update")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let replies = try await Api_Echo.Client(wrapping: client).update { writer in
                for word in ["a", "b", "c"] {
                    try await writer.write(.with { $0.content = word })
                }
            } onResponse: { response in
                try await response.messages.reduce(into: []) { $0.append($1.content) }
            }
            #expect(replies == ["a", "b", "c"])
        }
    }

    @Test("Unary messages of 4 MiB go both ways")
    func largeMessage() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-large")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let content = String(repeating: "0123456789abcdef", count: (4 << 20) / 16)
            let reply = try await client.echo(content)
            #expect(reply.content.utf8.count == 4 << 20)
            #expect(reply.content == content)
        }
    }

    @Test("Health follows SIGUSR1 and SIGUSR2; unknown services are NOT_FOUND")
    func healthSignals() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-health")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            #expect(try await client.healthCheck() == .serving)
            #expect(try await client.healthCheck(service: "api.Echo") == .serving)
            await #expect(throws: RPCError.self) { try await client.healthCheck(service: "api.Nope") }
            do {
                _ = try await client.healthCheck(service: "api.Nope")
            } catch let error as RPCError {
                #expect(error.code == .notFound)
            }

            backend.process.signal(SIGUSR1)
            try await eventually { try await client.healthCheck(service: "api.Echo") == .notServing }
            #expect(try await client.healthCheck() == .notServing)

            backend.process.signal(SIGUSR2)
            try await eventually { try await client.healthCheck(service: "api.Echo") == .serving }
        }
    }

    @Test("--not-serving starts NOT_SERVING; Watch streams the changes")
    func healthWatch() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-watch", notServing: true)
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let health = Grpc_Health_V1_Health.Client(wrapping: client)
            let unknown = try await health.watch(.with { $0.service = "api.Nope" }) { response in
                try await response.messages.first { _ in true }?.status
            }
            #expect(unknown == .serviceUnknown)

            let seen = try await health.watch(.with { $0.service = "api.Echo" }) { response in
                var statuses: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
                for try await message in response.messages {
                    statuses.append(message.status)
                    if statuses.count == 1 { backend.process.signal(SIGUSR2) }
                    if statuses.count == 2 { backend.process.signal(SIGUSR1) }
                    if statuses.count == 3 { break }
                }
                return statuses
            }
            #expect(seen == [.notServing, .serving, .notServing])
        }
        // Open Watch streams must not hold up a graceful shutdown.
        #expect(await backend.stop() == .exited(0))
    }

    @Test("x-fail-code fails with that code and the Unicode message, unchanged")
    func failCode() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-fail")
        let message = "kaputt: ünïcødé ☃ 失敗 👋🏽 100% done\\n"
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.echo("x", metadata: [
                    SampleMetadataKey.failCode: "9",
                    SampleMetadataKey.failMessage: .string(message),
                ])
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == message)
            #expect(error?.hostname == "echo-fail")

            // x-fail-code 0 is no failure.
            let reply = try await client.echo("ok", metadata: [SampleMetadataKey.failCode: "0"])
            #expect(reply.content == "ok")
        }
    }

    @Test("x-echo-* metadata, binary too, comes back in headers and trailers")
    func echoedMetadata() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-metadata")
        let bytes: [UInt8] = [0, 1, 2, 0x7f, 0x80, 0xff]
        try await GRPCTestClient.withClient(port: backend.port) { client in
            let reply = try await client.echo("x", metadata: [
                "x-echo-foo-bin": .binary(bytes), "x-echo-bar": "baz", "x-other": "not echoed",
            ])
            for metadata in [reply.metadata, reply.trailingMetadata] {
                #expect(Array(metadata[binaryValues: "x-echo-foo-bin"]) == [bytes])
                #expect(Array(metadata[stringValues: "x-echo-bar"]) == ["baz"])
                #expect(Array(metadata[stringValues: "x-other"]).isEmpty)
            }

            // Also on failures, in the trailers.
            let error = await #expect(throws: RPCError.self) {
                try await client.echo("x", metadata: ["x-echo-foo-bin": .binary(bytes), SampleMetadataKey.failCode: "14"])
            }
            #expect(error.map { Array($0.metadata[binaryValues: "x-echo-foo-bin"]) } == [bytes])
        }
    }

    @Test("x-delay-ms past the deadline: DEADLINE_EXCEEDED, and the server sees the cancellation")
    func delayPastDeadline() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-delay")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            // Connect first: under load, connecting alone could take the
            // 200 ms and the server would never see the RPC.
            _ = try await client.echo("warm-up")
            var options = CallOptions.defaults
            options.timeout = .milliseconds(200)
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                try await client.echo("slow", metadata: [SampleMetadataKey.delayMilliseconds: "5000"], options: options)
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - started < .seconds(3))
        }
        try await backend.process.waitForOutput(containing: "CANCELLED /api.Echo/Echo", timeout: .seconds(10))
    }

    @Test("SIGTERM lets an in-flight RPC finish, then exits 0")
    func gracefulShutdown() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-drain")
        try await GRPCTestClient.withClient(port: backend.port) { client in
            _ = try await client.echo("warm-up")  // so the next RPC starts at once
            async let reply = client.echo("drained", metadata: [SampleMetadataKey.delayMilliseconds: "1500"])
            try await Task.sleep(for: .milliseconds(500))
            backend.process.signal(SIGTERM)
            #expect(try await reply.content == "drained")
        }
        #expect(try await backend.process.waitForExit(timeout: .seconds(10)) == .exited(0))
        #expect(!backend.process.output.contains("CANCELLED"))
    }
}

/// Polls `condition` until it holds; fails after `timeout`.
func eventually(
    timeout: Duration = .seconds(5),
    _ condition: () async throws -> Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition still false after \(timeout)", sourceLocation: sourceLocation)
}
