// Everything a KubeClient needs to reach and authenticate to one API server.
import Foundation

/// Where the API server is and how to talk to it, resolved from a kubeconfig
/// (``load(path:context:)``) or from the pod's service account
/// (``inCluster(environment:serviceAccountDirectory:)``).
///
/// ```swift
/// let config = try KubeConfig.load(path: "/home/me/.kube/config")
/// let client = KubeClient(config: config)
/// ```
public struct KubeConfig: Sendable {
    /// How requests prove who they are.
    public enum Credentials: Sendable, Equatable {
        /// No `Authorization` header (client certificates may still apply).
        case none
        /// A fixed bearer token.
        case token(String)
        /// A bearer token read from a file, re-read whenever the file changes
        /// (the kubelet rotates projected service-account tokens in place).
        case tokenFile(String)
        /// HTTP basic authentication.
        case basic(username: String, password: String)
    }

    /// Base URL of the API server, e.g. `https://10.96.0.1:443`, without a trailing slash.
    public var server: String
    /// CA bundle that signs the server's certificate; `nil` uses the system's.
    public var certificateAuthority: PEMSource?
    /// Client certificate for mutual TLS.
    public var clientCertificate: PEMSource?
    /// Private key of ``clientCertificate``.
    public var clientKey: PEMSource?
    /// Skips verification of the server certificate. Only ever set from an
    /// explicit `insecure-skip-tls-verify: true`.
    public var insecureSkipTLSVerify: Bool
    /// Bearer token, token file or basic credentials.
    public var credentials: Credentials
    /// The namespace of the context (or of the pod, in cluster); `default` otherwise.
    public var namespace: String
    /// Bound on establishing a connection.
    public var connectTimeout: Duration
    /// Bound on a whole non-watch request.
    public var requestTimeout: Duration
    /// HTTP(S) or SOCKS proxy for API traffic (`proxy-url`); `nil` leaves
    /// libcurl to the usual `https_proxy`/`no_proxy` variables, as client-go does.
    public var proxyURL: String?

    /// Creates a configuration by hand (tests, or callers with their own discovery).
    public init(
        server: String,
        certificateAuthority: PEMSource? = nil,
        clientCertificate: PEMSource? = nil,
        clientKey: PEMSource? = nil,
        insecureSkipTLSVerify: Bool = false,
        credentials: Credentials = .none,
        namespace: String = "default",
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.credentials = credentials
        self.namespace = namespace
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// In-cluster configuration when `KUBERNETES_SERVICE_HOST` is set, otherwise
    /// the kubeconfig named by `KUBECONFIG` (first entry) or `~/.kube/config`.
    public static func automatic(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeConfig {
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment)
        }
        if let list = environment["KUBECONFIG"], let first = list.split(separator: ":").first {
            return try load(path: String(first))
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return try load(path: home + "/.kube/config")
    }

    var transportSettings: TransportSettings {
        TransportSettings(
            certificateAuthority: certificateAuthority,
            clientCertificate: clientCertificate,
            clientKey: clientKey,
            insecureSkipTLSVerify: insecureSkipTLSVerify,
            connectTimeout: connectTimeout,
            proxyURL: proxyURL)
    }
}
