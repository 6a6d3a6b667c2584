// meta/v1 Status: how the API server reports failures.

/// A `v1` Status, the body of every error response and of watch ERROR
/// events.
public struct Status: Codable, Sendable, Hashable {
    /// `v1`.
    public var apiVersion: String?
    /// `Status`.
    public var kind: String?
    /// Usually empty.
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
    /// The reason word.
    public var rawValue: String
    /// Creates a reason.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The object does not exist (404).
    public static let notFound = StatusReason(rawValue: "NotFound")
    /// An object with that name exists (409).
    public static let alreadyExists = StatusReason(rawValue: "AlreadyExists")
    /// The object changed since it was read (409).
    public static let conflict = StatusReason(rawValue: "Conflict")
    /// The requested resourceVersion is older than the server keeps (HTTP 410).
    public static let expired = StatusReason(rawValue: "Expired")
    /// The resource is gone (HTTP 410).
    public static let gone = StatusReason(rawValue: "Gone")
    /// The server is shedding load (429).
    public static let tooManyRequests = StatusReason(rawValue: "TooManyRequests")
    /// No valid credentials (401).
    public static let unauthorized = StatusReason(rawValue: "Unauthorized")
    /// Credentials lack permission (403).
    public static let forbidden = StatusReason(rawValue: "Forbidden")
    /// The request was malformed (400).
    public static let badRequest = StatusReason(rawValue: "BadRequest")
    /// The object failed validation (422).
    public static let invalid = StatusReason(rawValue: "Invalid")
    /// The verb is not allowed on the resource (405).
    public static let methodNotAllowed = StatusReason(rawValue: "MethodNotAllowed")
    /// The server failed (500).
    public static let internalError = StatusReason(rawValue: "InternalError")
    /// The server cannot serve now (503).
    public static let serviceUnavailable = StatusReason(rawValue: "ServiceUnavailable")
    /// The server timed out (504).
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
public struct StatusDetails: Codable, Sendable, Hashable {
    /// Name of the object concerned.
    public var name: String?
    /// API group of the object concerned.
    public var group: String?
    /// `Status`.
    public var kind: String?
    /// UID of the object concerned.
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
public struct StatusCause: Codable, Sendable, Hashable {
    /// Machine-readable cause, e.g. `FieldValueRequired`.
    public var reason: String?
    /// Human-readable description.
    public var message: String?
    /// The field at fault, e.g. `metadata.name`.
    public var field: String?

    /// Creates a cause.
    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
