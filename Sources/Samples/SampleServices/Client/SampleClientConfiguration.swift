// How a client reaches a sample service or the proxy in front of it.

import GRPCCore
import GRPCNIOTransportHTTP2

/// The security of a client connection.
public enum SampleClientSecurity: Sendable, Equatable {
    /// HTTP/2 over cleartext TCP (h2c with prior knowledge).
    case plaintext
    /// TLS, trusting the PEM roots in `trustRootsFile` (the system's if nil),
    /// and verifying the server's name against the authority.
    case tls(trustRootsFile: String?)
    /// TLS as ``tls(trustRootsFile:)``, also presenting a client certificate.
    case mutualTLS(trustRootsFile: String?, certificateFile: String, privateKeyFile: String)
}

/// Where and how a grpc-swift-2 client connects.
///
/// ```swift
/// let configuration = SampleClientConfiguration(
///     host: "127.0.0.1", port: 8443,
///     security: .tls(trustRootsFile: "ca.pem"),
///     authority: "grpc.example.com")
/// try await withGRPCClient(transport: configuration.makeTransport()) { client in
///     let echo = Api_Echo.Client(wrapping: client)
///     // ...
/// }
/// ```
public struct SampleClientConfiguration: Sendable {
    /// The host or IP address to connect to.
    public var host: String
    /// The TCP port to connect to.
    public var port: Int
    /// Plaintext or TLS.
    public var security: SampleClientSecurity
    /// Sent as the HTTP/2 `:authority` and, with TLS, as the SNI name and the
    /// name the server certificate must match. Nil: `host:port`.
    public var authority: String?
    /// The largest message sent or received; tests move 4 MiB messages, more
    /// than grpc-swift's 4 MiB default limit once framing is counted.
    public var maxMessageBytes: Int
    /// Whether RPCs wait for a connection that is failing instead of failing
    /// at once with UNAVAILABLE (gRPC's `waitForReady`).
    public var waitForReady: Bool

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int,
        security: SampleClientSecurity = .plaintext,
        authority: String? = nil,
        maxMessageBytes: Int = 16 * 1024 * 1024,
        waitForReady: Bool = false
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.authority = authority
        self.maxMessageBytes = maxMessageBytes
        self.waitForReady = waitForReady
    }

    /// Makes a transport that opens one connection to the target.
    public func makeTransport() throws -> HTTP2ClientTransport.Posix {
        let methodDefaults = MethodConfig(
            names: [MethodConfig.Name(service: "", method: "")],  // every method
            waitForReady: self.waitForReady,
            maxRequestMessageBytes: self.maxMessageBytes,
            maxResponseMessageBytes: self.maxMessageBytes
        )
        let authority = self.authority
        return try HTTP2ClientTransport.Posix(
            target: .dns(host: self.host, port: self.port),
            transportSecurity: self.transportSecurity,
            config: .defaults { config in
                // Used for :authority and for SNI/verification alike.
                config.http2.authority = authority
                // Don't sit in a long reconnect backoff between test steps.
                config.backoff.max = .seconds(1)
            },
            serviceConfig: ServiceConfig(methodConfig: [methodDefaults])
        )
    }

    private var transportSecurity: HTTP2ClientTransport.Posix.TransportSecurity {
        func roots(_ file: String?) -> TLSConfig.TrustRootsSource {
            file.map { .certificates([.file(path: $0, format: .pem)]) } ?? .systemDefault
        }
        switch self.security {
        case .plaintext:
            return .plaintext
        case .tls(let trustRootsFile):
            return .tls { config in
                config.trustRoots = roots(trustRootsFile)
            }
        case .mutualTLS(let trustRootsFile, let certificateFile, let privateKeyFile):
            return .mTLS(
                certificateChain: [.file(path: certificateFile, format: .pem)],
                privateKey: .file(path: privateKeyFile, format: .pem)
            ) { config in
                config.trustRoots = roots(trustRootsFile)
            }
        }
    }
}
