// meta/v1 Status: how the API server reports failures.

/// A `v1` Status, the body of every error response and of watch ERROR
/// events.
public struct Status: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    /// Human-readable description.
    public var message: String?
    /// Machine-readable reason, e.g. ``StatusReason/expired``.
    public var reason: StatusReason?
    /// More about the object concerned.
    public var details: StatusDetails?
    /// The HTTP status code this corresponds to.
    public var code: Int?

    /// Creates a status.
    public init(status: String? = "Failure", message: String? = nil, reason: StatusReason? = nil,
                details: StatusDetails? = nil, code: Int? = nil) {
        self.apiVersion = "v1"
        self.kind = "Status"
        self.metadata = ListMeta()
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }
}

/// `reason` of a Status, an open set of UpperCamelCase words.
public struct StatusReason: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    /// Creates a reason.
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let notFound = StatusReason(rawValue: "NotFound")
    public static let alreadyExists = StatusReason(rawValue: "AlreadyExists")
    public static let conflict = StatusReason(rawValue: "Conflict")
    /// The requested resourceVersion is older than the server keeps (HTTP 410).
    public static let expired = StatusReason(rawValue: "Expired")
    /// The resource is gone (HTTP 410).
    public static let gone = StatusReason(rawValue: "Gone")
    public static let tooManyRequests = StatusReason(rawValue: "TooManyRequests")
    public static let unauthorized = StatusReason(rawValue: "Unauthorized")
    public static let forbidden = StatusReason(rawValue: "Forbidden")
    public static let badRequest = StatusReason(rawValue: "BadRequest")
    public static let invalid = StatusReason(rawValue: "Invalid")
    public static let methodNotAllowed = StatusReason(rawValue: "MethodNotAllowed")
    public static let internalError = StatusReason(rawValue: "InternalError")
    public static let serviceUnavailable = StatusReason(rawValue: "ServiceUnavailable")
    public static let timeout = StatusReason(rawValue: "Timeout")

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// `details` of a Status.
public struct StatusDetails: Codable, Sendable, Equatable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    /// Individual problems, e.g. invalid fields.
    public var causes: [StatusCause]?
    /// Seconds the client should wait before retrying.
    public var retryAfterSeconds: Int?

    /// Creates details.
    public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [StatusCause]? = nil, retryAfterSeconds: Int? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// One cause of a Status.
public struct StatusCause: Codable, Sendable, Equatable {
    public var reason: String?
    public var message: String?
    public var field: String?

    /// Creates a cause.
    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
