// TLS and timeout settings that every transfer of one client shares.
import Foundation

/// PEM material given either as a file (re-read by libcurl for each new
/// connection) or inline.
public enum PEMSource: Sendable, Equatable {
    /// A file path.
    case file(String)
    /// The PEM bytes themselves.
    case data(Data)
}

/// TLS and timeout settings of a transport.
struct TransportSettings: Sendable {
    /// Trusted CA bundle; `nil` uses the system's.
    var certificateAuthority: PEMSource?
    /// Client certificate for mutual TLS.
    var clientCertificate: PEMSource?
    /// Private key of `clientCertificate`.
    var clientKey: PEMSource?
    /// Skips server certificate verification; only when the kubeconfig says so.
    var insecureSkipTLSVerify = false
    /// Bound on establishing a connection (TCP and TLS).
    var connectTimeout: Duration = .seconds(10)
    /// Proxy for every request, if set.
    var proxyURL: String?
}
