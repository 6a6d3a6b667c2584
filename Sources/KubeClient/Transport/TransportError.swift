// Failures of the transport itself, as opposed to error responses from the API server.

/// A request that did not get a complete HTTP response.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// libcurl failed the transfer (connection refused, TLS, timeout, ...).
        case curl(code: Int)
        /// A setting could not be applied to the transfer (bad CA file, ...).
        case configuration
        /// The transfer was cancelled by its caller.
        case cancelled
        /// The client was shut down.
        case shutdown
    }

    /// What went wrong, broadly.
    public var kind: Kind
    /// libcurl's own detailed message, or ours.
    public var message: String

    /// Creates an error.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        switch kind {
        case .curl(let code): "transport error (curl \(code)): \(message)"
        case .configuration: "transport configuration error: \(message)"
        case .cancelled: "request cancelled"
        case .shutdown: "client shut down"
        }
    }

    static let cancelled = TransportError(kind: .cancelled, message: "cancelled")
    static let shutdown = TransportError(kind: .shutdown, message: "shut down")
}
