// Errors of the simulated API, rendered as the real API's Status objects.

/// A failed API call, carried as the `Status` the real API server would send.
public struct APIError: Error, Sendable, Equatable {
    /// HTTP status code.
    public var code: Int
    /// `reason` of the Status.
    public var reason: String
    /// `message` of the Status.
    public var message: String
    /// `details` of the Status, if any.
    public var details: JSONValue?
    /// Seconds for a `Retry-After` header, if any.
    public var retryAfterSeconds: Int?

    /// Creates an error.
    public init(code: Int, reason: String, message: String, details: JSONValue? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The Status object, exactly in the API's shape.
    public var status: JSONValue {
        var members: [String: JSONValue] = [
            "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
            "status": .string("Failure"), "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { members["details"] = details }
        return .object(members)
    }

    static func details(_ resource: ServedResource, name: String) -> JSONValue {
        var details: [String: JSONValue] = ["name": .string(name), "kind": .string(resource.plural)]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return .object(details)
    }

    static func notFound(_ resource: ServedResource, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(qualified(resource)) \"\(name)\" not found",
                 details: details(resource, name: name))
    }

    static func alreadyExists(_ resource: ServedResource, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(qualified(resource)) \"\(name)\" already exists",
                 details: details(resource, name: name))
    }

    static func conflict(_ resource: ServedResource, _ name: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(qualified(resource)) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
                 details: details(resource, name: name))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func invalid(_ resource: ServedResource, _ name: String, field: String, _ problem: String) -> APIError {
        var details = details(resource, name: name)
        details["causes"] = .array([.object(["reason": .string("FieldValueRequired"), "message": .string(problem), "field": .string(field)])])
        return APIError(code: 422, reason: "Invalid", message: "\(resource.kind) \"\(name)\" is invalid: \(field): \(problem)", details: details)
    }

    /// The version asked for is older than the history KubeSim keeps.
    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method (\(method)) on the requested resource")
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: .object(["causes": .array([.object(["reason": .string("UnexpectedServerResponse"), "message": .string("404 page not found: \(path)")])])]))
    }

    private static func qualified(_ resource: ServedResource) -> String {
        resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)"
    }
}
