// HTTP/2 conformance of the TLS listener with h2spec 2.6.0, when it is
// installed (on PATH, or named by PORTICO_H2SPEC); skipped otherwise.
import Foundation
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyConformanceTests {
    static var h2spec: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["PORTICO_H2SPEC"], FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("h2spec")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    @Test(.enabled(if: h2spec != nil, "h2spec is not installed")) func h2specPassesEveryTest() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, workers: 1) { f in
            let run = try ManagedProcess(executable: Self.h2spec!, arguments: [
                "-h", "127.0.0.1", "-p", "\(f.proxy.port)", "-t", "-k", "-o", "3",
            ])
            _ = try await run.waitForExit(timeout: .seconds(150))
            let output = run.output
            let summary = output.split(separator: "\n").last { $0.contains("tests,") && $0.contains("passed") } ?? ""
            let numbers = summary.split(separator: " ").compactMap { Int($0) }
            #expect(numbers.count >= 3 && numbers[0] == numbers[1], "\(summary)\n\(output.suffix(3000))")
            let failed = Set(output.split(separator: "\n").filter { $0.contains("×") }
                .map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(failed.isEmpty, "unexpected failures: \(failed.sorted())")
        }
    }

    /// Bytes that are neither the HTTP/2 preface nor an HTTP/1.x request
    /// line: GOAWAY PROTOCOL_ERROR (RFC 9113 §3.4), then the close.
    @Test func invalidPrefaceGetsGoAwayProtocolError() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false) { f in
            let raw = try await RawHTTP2Client.connect(port: f.proxy.port)
            await raw.send(Array("INVALID CONNECTION PREFACE\r\n\r\n".utf8))
            #expect(await raw.waitUntilClosed(timeout: .seconds(5)))
            #expect(raw.goAway?.errorCode == HTTP2ErrorCode.protocolError, "\(String(describing: raw.goAway))")
            // HTTP/1.1 still gets its own answer (ProxyEdgeTests), and gRPC works.
            let reply = try await f.withClient { client in try await client.echo("after") }
            #expect(reply.content == "after")
        }
    }

    /// What nghttp2 lets pass and InboundFrameCheck stops, as connection
    /// errors (RFC 9113 §5.1, §5.1.1, §5.3.1, §6.3); the proxy serves on.
    @Test func framesNghttp2LetsPassGetGoAway() async throws {
        typealias Raw = RawHTTP2Client
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false) { f in
            let block = Raw.grpcRequestBlock(path: "/unknown.Service/Method")
            let request = RawFrame.endHeaders | RawFrame.endStream
            let cases: [(String, [UInt8], UInt32)] = [
                ("PRIORITY on stream 0", Raw.frame(RawFrame.priority, flags: 0, stream: 0, [0, 0, 0, 1, 16]),
                 HTTP2ErrorCode.protocolError),
                ("PRIORITY depending on itself", Raw.frame(RawFrame.priority, flags: 0, stream: 1, [0, 0, 0, 1, 16]),
                 HTTP2ErrorCode.protocolError),
                ("stream 3 after 5", Raw.frame(RawFrame.headers, flags: request, stream: 5, block)
                    + Raw.frame(RawFrame.headers, flags: request, stream: 3, block), HTTP2ErrorCode.protocolError),
                ("DATA after the client's RST_STREAM", Raw.frame(RawFrame.headers, flags: RawFrame.endHeaders, stream: 1, block)
                    + Raw.frame(RawFrame.rstStream, flags: 0, stream: 1, Raw.be32(0x8))
                    + Raw.frame(RawFrame.data, flags: RawFrame.endStream, stream: 1, [1]), 0x5),
                ("HEADERS after the client's END_STREAM", Raw.frame(RawFrame.headers, flags: request, stream: 1, block)
                    + Raw.frame(RawFrame.headers, flags: request, stream: 1, block), 0x5),
            ]
            for (name, frames, code) in cases {
                let raw = try await Raw.connect(port: f.proxy.port)
                await raw.send(Raw.preface + frames)
                #expect(await raw.waitUntilClosed(timeout: .seconds(5)), "\(name): connection left open")
                #expect(raw.goAway?.errorCode == code, "\(name): \(String(describing: raw.goAway))")
                await raw.close()
            }
            let reply = try await f.withClient { client in try await client.echo("after") }
            #expect(reply.content == "after")
        }
    }
}
