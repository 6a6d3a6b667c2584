// Two echo-grpc and two reverse-grpc instances behind a TLS portico-proxy:
// the tutorial's topology on loopback.
import GRPCCore
import GRPCNIOTransportHTTP2
import TestUtilities

struct ProxyFixture {
    let echo: [SampleBackend]
    let reverse: [SampleBackend]
    let proxy: ProxyUnderTest

    static func start(echoCount: Int = 2, reverseCount: Int = 2, tls: Bool = true, workers: Int = 2,
                      extraYAML: String = "", echoClusterExtra: String = "") async throws -> ProxyFixture {
        var echo: [SampleBackend] = []
        var reverse: [SampleBackend] = []
        for i in 0..<echoCount { echo.append(try await SampleBackend.start(.echo, hostname: "echo-\(i + 1)")) }
        for i in 0..<reverseCount { reverse.append(try await SampleBackend.start(.reverse, hostname: "reverse-\(i + 1)")) }
        var clusters: [ProxyCluster] = []
        if !echo.isEmpty {
            clusters.append(ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: echo.map(\.address),
                                         extra: echoClusterExtra))
        }
        if !reverse.isEmpty {
            clusters.append(ProxyCluster(name: "reverse-grpc", services: ["api.Reverse"],
                                         endpoints: reverse.map(\.address)))
        }
        let proxy = try await ProxyUnderTest.start(clusters, tls: tls, workers: workers, extraYAML: extraYAML)
        return ProxyFixture(echo: echo, reverse: reverse, proxy: proxy)
    }

    func stop() async {
        await proxy.stop()
        for b in echo + reverse { _ = await b.stop() }
    }

    /// Runs `body` with a started fixture and always stops it.
    static func with<R: Sendable>(echoCount: Int = 2, reverseCount: Int = 2, tls: Bool = true, workers: Int = 2,
                                  extraYAML: String = "", echoClusterExtra: String = "",
                                  _ body: (ProxyFixture) async throws -> R) async throws -> R {
        let f = try await start(echoCount: echoCount, reverseCount: reverseCount, tls: tls, workers: workers,
                                extraYAML: extraYAML, echoClusterExtra: echoClusterExtra)
        do {
            let r = try await body(f)
            await f.stop()
            return r
        } catch {
            await f.stop()
            throw error
        }
    }

    func withClient<R: Sendable>(_ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        try await proxy.withClient(body)
    }
}
