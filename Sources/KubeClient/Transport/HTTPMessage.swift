// The request and response values that cross between KubeClient and the libcurl transport.
import Foundation

/// One HTTP request to the API server, independent of libcurl.
struct HTTPRequest: Sendable {
    /// The HTTP method, upper case (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
    var method: String
    /// The absolute URL, query included.
    var url: String
    /// Header fields in the order they are sent.
    var headers: [(name: String, value: String)]
    /// The request body, if any.
    var body: Data?
    /// Upper bound for the whole transfer; `nil` leaves it unbounded (watches
    /// bound themselves with `timeoutSeconds` instead).
    var timeout: Duration?
}

/// Status and header fields of a response.
struct HTTPResponseHead: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The protocol of the status line, e.g. `HTTP/1.1` or `HTTP/2`.
    var version: String = ""
    /// Header fields with lower-cased names; a repeated name keeps its last value.
    var headers: [String: String]

    /// `Retry-After` as a duration, when the server sent it in seconds (the
    /// form the API server uses).
    var retryAfter: Duration? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces),
              let seconds = Int(value), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}

/// A response read to its end.
struct HTTPResponse: Sendable {
    var head: HTTPResponseHead
    var body: Data
}

/// A response whose body arrives as newline-delimited lines while it streams.
struct HTTPLineStream: Sendable {
    var head: HTTPResponseHead
    /// Each line without its terminating newline; empty lines are skipped.
    /// Ends when the server ends the body, throws ``TransportError`` when the
    /// transfer fails; dropping the iteration cancels the transfer.
    var lines: AsyncThrowingStream<Data, any Error>
}
