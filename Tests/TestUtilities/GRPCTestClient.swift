// grpc-swift-2 clients for tests, plaintext or TLS with the test CA.

import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices

/// Makes grpc-swift-2 clients to a local port (a sample backend or the proxy).
///
/// ```swift
/// try await GRPCTestClient.withClient(port: proxyPort, security: .tls(certificates)) { client in
///     let reply = try await client.echo("hello")
///     #expect(reply.content == "hello")
/// }
/// ```
public enum GRPCTestClient {
    /// How the client secures its connection.
    public enum Security: Sendable {
        /// h2c with prior knowledge.
        case plaintext
        /// TLS trusting the test CA; `authority` is the :authority, the SNI
        /// name and the name verified against the server certificate.
        case tls(TestCertificates, authority: String = TestCertificates.serverName)
        /// TLS as ``tls(_:authority:)``, presenting the test client certificate.
        case mutualTLS(TestCertificates, authority: String = TestCertificates.serverName)
    }

    /// The default message size limit, both ways: above the 4 MiB unary and
    /// 1 MiB streaming messages the tests send.
    public static let defaultMaxMessageBytes = 16 * 1024 * 1024

    /// The configuration of a client to `host:port`.
    public static func configuration(
        port: Int,
        host: String = "127.0.0.1",
        security: Security = .plaintext,
        authority: String? = nil,
        maxMessageBytes: Int = defaultMaxMessageBytes,
        waitForReady: Bool = false
    ) -> SampleClientConfiguration {
        let clientSecurity: SampleClientSecurity
        var effectiveAuthority = authority
        switch security {
        case .plaintext:
            clientSecurity = .plaintext
        case .tls(let certificates, let name):
            clientSecurity = .tls(trustRootsFile: certificates.caCertificate)
            effectiveAuthority = authority ?? name
        case .mutualTLS(let certificates, let name):
            clientSecurity = .mutualTLS(trustRootsFile: certificates.caCertificate,
                                        certificateFile: certificates.clientCertificate,
                                        privateKeyFile: certificates.clientKey)
            effectiveAuthority = authority ?? name
        }
        return SampleClientConfiguration(host: host, port: port, security: clientSecurity,
                                         authority: effectiveAuthority, maxMessageBytes: maxMessageBytes,
                                         waitForReady: waitForReady)
    }

    /// Runs `body` with a client connected to `host:port`, then shuts the
    /// client down (gracefully, after `body` returns or throws).
    ///
    /// - Parameters:
    ///   - authority: overrides the `:authority` (and SNI with TLS).
    ///   - waitForReady: queue RPCs while the connection fails instead of
    ///     failing them at once with UNAVAILABLE.
    public static func withClient<Result: Sendable>(
        port: Int,
        host: String = "127.0.0.1",
        security: Security = .plaintext,
        authority: String? = nil,
        maxMessageBytes: Int = defaultMaxMessageBytes,
        waitForReady: Bool = false,
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let configuration = self.configuration(port: port, host: host, security: security, authority: authority,
                                               maxMessageBytes: maxMessageBytes, waitForReady: waitForReady)
        return try await withGRPCClient(transport: configuration.makeTransport(), handleClient: body)
    }
}
