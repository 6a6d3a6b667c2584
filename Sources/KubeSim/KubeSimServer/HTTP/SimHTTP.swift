// The request and response values passed between KubeSim's HTTP layer and its API logic.
import Foundation

/// One HTTP request as the API logic sees it.
struct SimRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [(name: String, value: String)]
    var body: Data
    /// The TLS peer presented a client certificate signed by KubeSim's CA.
    var hasVerifiedClientCertificate: Bool

    /// The first header with this name (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The bearer token, if any.
    var bearerToken: String? {
        guard let value = header("Authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// Splits a request target into path and decoded query parameters.
    static func splitTarget(_ uri: String) -> (path: String, query: [String: String]) {
        guard let components = URLComponents(string: uri) else { return (uri, [:]) }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return (components.percentEncodedPath.removingPercentEncoding ?? components.percentEncodedPath, query)
    }
}

/// What to answer.
enum SimResponse: Sendable {
    /// A complete JSON response.
    case json(status: Int, body: JSONValue, headers: [(String, String)] = [])
    /// A complete plain-text response.
    case text(status: Int, body: String)
    /// Start streaming a watch.
    case watch(WatchRequest, timeoutSeconds: Int)

    static func error(_ error: APIError) -> SimResponse {
        var headers: [(String, String)] = []
        if let seconds = error.retryAfterSeconds { headers.append(("Retry-After", String(seconds))) }
        return .json(status: error.code, body: error.status, headers: headers)
    }
}
