// RST_STREAM REFUSED_STREAM from a backend: the RPC is retried on another
// endpoint with its request replayed, as long as the replay copy fits in
// the proxy's 1 MiB retry buffer.
import Foundation
import GRPCCore
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyRetryTests {
    /// `Tests/Clients/refusing_backend.py`: refuses every stream, after
    /// reading `refuseAfterBytes` of its body.
    struct RefusingBackend {
        let process: ManagedProcess
        let address: String

        static func start(refuseAfterBytes: Int = 0) async throws -> RefusingBackend {
            let process = try PythonClients.start("refusing_backend.py", ["--refuse-after-bytes", "\(refuseAfterBytes)"])
            let line = try await process.waitForOutput(containing: "listening on")
            return RefusingBackend(process: process, address: String(line.split(separator: " ").last!))
        }

        /// The body bytes it had read from each stream it refused.
        var refusals: [Int] {
            process.output.split(separator: "\n").filter { $0.hasPrefix("REFUSED") }.compactMap {
                $0.split(separator: "=").last.flatMap { Int($0) }
            }
        }
    }

    /// The refusing backend and one echo-grpc behind the proxy (round robin).
    func withRefusingCluster(refuseAfterBytes: Int,
                             _ body: (ProxyUnderTest, RefusingBackend) async throws -> Void) async throws {
        let refusing = try await RefusingBackend.start(refuseAfterBytes: refuseAfterBytes)
        let echo = try await SampleBackend.start(.echo, hostname: "echo-1")
        let proxy = try await ProxyUnderTest.start(
            [ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [refusing.address, echo.address])],
            tls: false)
        do {
            try await body(proxy, refusing)
        } catch {
            await proxy.stop()
            _ = await echo.stop()
            _ = await refusing.process.terminate()
            throw error
        }
        await proxy.stop()
        _ = await echo.stop()
        _ = await refusing.process.terminate()
    }

    func retries(_ proxy: ProxyUnderTest) async throws -> Double {
        let page = try PrometheusExposition(parsing: try await httpRequest(port: proxy.adminPort,
                                                                           path: "/stats/prometheus").body)
        return page.value("portico_cluster_retries_total", ["cluster": "echo-grpc"]) ?? 0
    }

    @Test func refusedStreamsAreRetriedOnAnotherEndpoint() async throws {
        try await withRefusingCluster(refuseAfterBytes: 0) { proxy, refusing in
            try await proxy.withClient { client in
                for i in 0..<12 {
                    let r = try await client.echo("rpc \(i)")
                    #expect(r.content == "rpc \(i)")
                    #expect(r.hostname == "echo-1")
                }
            }
            let refused = refusing.refusals.count
            #expect(refused >= 1, "round robin never picked the refusing backend")
            #expect(try await retries(proxy) == Double(refused))
        }
    }

    @Test func aRefusedRequestIsReplayedWholeOnTheNextEndpoint() async throws {
        // The refusal comes after 512 KiB of the body went to the first
        // backend: the retry must send those bytes again, then the rest.
        let content = String((0..<(900 << 10)).map { i in Character(UnicodeScalar(UInt8(97 + i % 26))) })
        try await withRefusingCluster(refuseAfterBytes: 512 << 10) { proxy, refusing in
            try await proxy.withClient { client in
                for _ in 0..<4 {
                    let r = try await client.echo(content)
                    #expect(r.content.utf8.count == content.utf8.count)
                    #expect(r.content == content, "the replayed body differs")
                    #expect(r.hostname == "echo-1")
                }
            }
            #expect(!refusing.refusals.isEmpty, "round robin never picked the refusing backend")
            #expect(refusing.refusals.allSatisfy { $0 >= 512 << 10 }, "\(refusing.refusals)")
            #expect(try await retries(proxy) == Double(refusing.refusals.count))
        }
    }

    @Test func aRequestPastTheOneMebibyteReplayBufferIsNotRetried() async throws {
        // 1.5 MiB sent before the refusal: more than the replay copy keeps,
        // so the RPC fails rather than reach the next backend truncated.
        let content = String(repeating: "z", count: 2 << 20)
        try await withRefusingCluster(refuseAfterBytes: 3 << 19) { proxy, refusing in
            var failed = 0
            try await proxy.withClient { client in
                for _ in 0..<4 {
                    do {
                        let r = try await client.echo(content)
                        #expect(r.content == content)
                        #expect(r.hostname == "echo-1")
                    } catch let e as RPCError {
                        failed += 1
                        #expect(e.code == .unavailable, "\(e)")
                        #expect(e.message.contains("refused the stream"), "\(e)")
                    }
                }
            }
            #expect(failed >= 1, "round robin never picked the refusing backend")
            #expect(refusing.refusals.count == failed)
            #expect(refusing.refusals.allSatisfy { $0 >= 3 << 19 }, "\(refusing.refusals)")
            #expect(try await retries(proxy) == 0)
        }
    }
}
