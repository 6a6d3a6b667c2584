// Error responses of the API server, typed.
import Foundation

/// The API server answered with a non-success status. ``status`` holds the
/// `Status` body when there was one (there nearly always is).
public struct KubeAPIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code (or the `code` of a watch ERROR event).
    public var code: Int
    /// The decoded `Status`, when the body was one.
    public var status: Status?
    /// How long the server asked us to wait (`Retry-After`, or
    /// `details.retryAfterSeconds`).
    public var retryAfter: Duration?

    /// Creates an error.
    public init(code: Int, status: Status?, retryAfter: Duration? = nil) {
        self.code = code
        self.status = status
        self.retryAfter = retryAfter ?? status?.details?.retryAfterSeconds.map { .seconds($0) }
    }

    /// The Status reason, or one implied by the HTTP code.
    public var reason: StatusReason? {
        if let reason = status?.reason { return reason }
        switch code {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .gone
        case 429: return .tooManyRequests
        case 500: return .internalError
        case 503: return .serviceUnavailable
        default: return nil
        }
    }

    /// The version asked for is no longer kept: relist (`410`, `Expired` or `Gone`).
    public var isResourceExpired: Bool { code == 410 || reason == .expired || reason == .gone }
    /// The object does not exist.
    public var isNotFound: Bool { code == 404 }
    /// The object was changed since it was read (stale resourceVersion).
    public var isConflict: Bool { code == 409 && reason != .alreadyExists }
    /// An object with that name exists already.
    public var isAlreadyExists: Bool { reason == .alreadyExists }
    /// The server is shedding load; wait ``retryAfter``.
    public var isTooManyRequests: Bool { code == 429 }
    /// The server failed (5xx); worth retrying later.
    public var isServerError: Bool { (500...599).contains(code) }

    public var description: String {
        let message = status?.message ?? "no message"
        return "API error \(code)\(reason.map { " \($0)" } ?? ""): \(message)"
    }

    /// Reads an error response body.
    static func from(code: Int, body: Data, retryAfter: Duration?) -> KubeAPIError {
        let status = try? JSONDecoder().decode(Status.self, from: body)
        if let status, status.kind == "Status" || status.reason != nil || status.message != nil {
            return KubeAPIError(code: code, status: status, retryAfter: retryAfter)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self)
        return KubeAPIError(code: code, status: Status(message: text.isEmpty ? "HTTP \(code)" : text, code: code), retryAfter: retryAfter)
    }
}

/// A response body that is not the JSON we expected.
public struct KubeDecodingError: Error, Sendable, CustomStringConvertible {
    /// The type being decoded.
    public var type: String
    /// The decoder's explanation.
    public var problem: String

    public var description: String { "cannot decode \(type): \(problem)" }
}
