// The test hooks are off unless --test-hooks is given, and bounded when on.

import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

extension SampleServicesTests {
    @Test("Without --test-hooks, delays, failures, repeats and echoes in the metadata are ignored")
    func hooksOffByDefault() async throws {
        // Started as the sample manifests start it: no --test-hooks.
        let backend = try await SampleBackend.start(.echo, hostname: "echo-no-hooks", testHooks: false)
        try await GRPCTestClient.withClient(port: backend.port) { client in
            _ = try await client.echo("warm-up")
            let started = ContinuousClock.now
            let reply = try await client.echo("fast", metadata: [
                SampleMetadataKey.delayMilliseconds: "5000",
                SampleMetadataKey.failCode: "14",
                "x-echo-foo": "bar",
            ])
            #expect(ContinuousClock.now - started < .seconds(2), "x-delay-ms was obeyed")
            #expect(reply.content == "fast")
            #expect(reply.hostname == "echo-no-hooks")
            #expect(Array(reply.metadata[stringValues: "x-echo-foo"]).isEmpty, "x-echo-* was echoed")

            // x-repeat is ignored: Expand splits into words as without it.
            let parts = try await Api_Echo.Client(wrapping: client).expand(
                .with { $0.content = "one two" }, metadata: [SampleMetadataKey.repeatCount: "3"]
            ) { response in try await response.messages.reduce(into: []) { $0.append($1.content) } }
            #expect(parts == ["one", "two"])

            // A slow reader cannot be asked for either.
            let readStarted = ContinuousClock.now
            let summary = try await Api_Echo.Client(wrapping: client).collect(
                metadata: [SampleMetadataKey.readDelayMilliseconds: "2000"]
            ) { writer in
                for _ in 0..<2 { try await writer.write(.with { $0.content = "x" }) }
            } onResponse: { try $0.message.content }
            #expect(summary == "2 messages, 2 bytes")
            #expect(ContinuousClock.now - readStarted < .seconds(2), "x-read-delay-ms was obeyed")
        }
        #expect(await backend.stop() == .exited(0))
        #expect(!backend.process.output.contains("CANCELLED"))
    }

    @Test("With --test-hooks, x-delay-ms, x-read-delay-ms and x-repeat over their bounds are INVALID_ARGUMENT")
    func hooksAreBounded() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-bounded")
        let maxDelay = TestHooks.maximumDelayMilliseconds
        let maxRepeat = TestHooks.maximumRepeatCount
        #expect(maxDelay == 60_000 && maxRepeat == 10_000)
        try await GRPCTestClient.withClient(port: backend.port) { client in
            for key in [SampleMetadataKey.delayMilliseconds, SampleMetadataKey.readDelayMilliseconds] {
                let started = ContinuousClock.now
                let error = await #expect(throws: RPCError.self) {
                    try await client.echo("x", metadata: [key: "\(maxDelay + 1)"])
                }
                #expect(error?.code == .invalidArgument, "\(key): \(String(describing: error))")
                #expect(error?.message == "\(key) must be at most \(maxDelay), got \(maxDelay + 1)")
                #expect(error?.hostname == "echo-bounded")
                #expect(ContinuousClock.now - started < .seconds(2))
            }

            let echo = Api_Echo.Client(wrapping: client)
            let error = await #expect(throws: RPCError.self) {
                try await echo.expand(.with { $0.content = "x" },
                                      metadata: [SampleMetadataKey.repeatCount: "\(maxRepeat + 1)"]) { response in
                    try await response.messages.reduce(0) { n, _ in n + 1 }
                }
            }
            #expect(error?.code == .invalidArgument, "\(String(describing: error))")
            #expect(error?.message == "\(SampleMetadataKey.repeatCount) must be at most \(maxRepeat), got \(maxRepeat + 1)")

            // At the bound, every copy arrives.
            let count = try await echo.expand(.with { $0.content = "x" },
                                              metadata: [SampleMetadataKey.repeatCount: "\(maxRepeat)"]) { response in
                try await response.messages.reduce(0) { n, message in n + (message.content == "x" ? 1 : 0) }
            }
            #expect(count == maxRepeat)

            // Within the bound the hooks work as before.
            let started = ContinuousClock.now
            _ = try await client.echo("slow", metadata: [SampleMetadataKey.delayMilliseconds: "300"])
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }
}
