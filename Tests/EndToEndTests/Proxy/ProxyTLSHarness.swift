// Helpers of the TLS tests: a proxy with a hand-written `tls:` section in
// front of one echo backend, clients with any certificates, and metrics.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import TestUtilities

struct TLSProxyFixture {
    let backend: SampleBackend?
    let proxy: ProxyUnderTest

    /// Starts an echo backend (unless `backend` is false) and a proxy whose
    /// config has `tlsYAML` (a complete `tls:` section) as its TLS settings.
    static func with<R: Sendable>(tlsYAML: String, backend: Bool = true,
                                  _ body: (TLSProxyFixture) async throws -> R) async throws -> R {
        let echo = backend ? try await SampleBackend.start(.echo, hostname: "echo-tls") : nil
        // Without a backend the cluster points at a closed port: the tests
        // that use it only handshake.
        let endpoint = try echo?.address ?? "127.0.0.1:\(PortAllocator.freePort())"
        let proxy: ProxyUnderTest
        do {
            proxy = try await ProxyUnderTest.start(
                [ProxyCluster(name: "echo-grpc", services: ["api.Echo"], endpoints: [endpoint])],
                tls: false, workers: 2, extraYAML: tlsYAML)
        } catch {
            _ = await echo?.stop()
            throw error
        }
        let fixture = TLSProxyFixture(backend: echo, proxy: proxy)
        do {
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    func stop() async {
        await proxy.stop()
        _ = await backend?.stop()
    }

    /// A client of the proxy: TLS trusting `ca`, presenting `clientCertificate` if given.
    func withClient<R: Sendable>(
        ca: String, clientCertificate: (certificate: String, privateKey: String)? = nil,
        authority: String = TestCertificates.serverName,
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R
    ) async throws -> R {
        let security: SampleClientSecurity = clientCertificate.map {
            .mutualTLS(trustRootsFile: ca, certificateFile: $0.certificate, privateKeyFile: $0.privateKey)
        } ?? .tls(trustRootsFile: ca)
        let configuration = SampleClientConfiguration(port: proxy.port, security: security, authority: authority)
        return try await withGRPCClient(transport: configuration.makeTransport(), handleClient: body)
    }

    /// The value of an unlabelled sample on /stats/prometheus.
    func metric(_ name: String) async throws -> Int {
        let page = try await httpRequest(port: proxy.adminPort, path: "/stats/prometheus").body
        for line in page.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let v = Int(line.dropFirst(name.count + 1)) { return v }
        }
        throw TestUtilityError("no sample \(name) on /stats/prometheus:\n\(page)")
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    func eventually(_ what: String, timeout: Duration = .seconds(5),
                    _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestUtilityError("\(what) did not happen within \(timeout)\n\(proxy.process.outputTail())")
    }

    /// The serial of the certificate the proxy presents for `serverName`.
    func servedSerial(_ serverName: String? = TestCertificates.serverName, ca: String) async throws -> String {
        try await TLSProbe.handshake(port: proxy.port, serverName: serverName, trustRootsFile: ca).serial
    }
}

/// The XFCC value a backend saw, reflected by the sample services' hook.
let reflectXFCC: Metadata = [SampleMetadataKey.reflectHeaders: "x-forwarded-client-cert"]

extension SampleReply {
    /// Every x-forwarded-client-cert value the backend received.
    var forwardedClientCertificates: [String] {
        Array(metadata[stringValues: SampleMetadataKey.reflectedPrefix + "x-forwarded-client-cert"])
    }
}
