// A record of every API request, so tests can check what a client actually sent.
import Foundation
import Synchronization

/// One request as KubeSim saw it.
public struct RecordedRequest: Sendable, Codable, Equatable {
    /// HTTP method.
    public var method: String
    /// Path without the query.
    public var path: String
    /// Query parameters.
    public var query: [String: String]
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `discovery` or `control`.
    public var verb: String
    /// Resource plural, for resource requests.
    public var resource: String?
    /// The bearer token sent, if any.
    public var token: String?
    /// Milliseconds since KubeSim started.
    public var atMilliseconds: Int64
}

/// The log; bounded so a long-running KubeSim does not grow without end.
final class RequestLog: Sendable {
    private let entries = Mutex<[RecordedRequest]>([])
    private let started = ContinuousClock.now
    private let limit = 100_000

    func record(_ request: SimRequest, verb: String, resource: ServedResource?) {
        let elapsed = ContinuousClock.now - started
        let entry = RecordedRequest(
            method: request.method, path: request.path, query: request.query, verb: verb, resource: resource?.plural,
            token: request.bearerToken,
            atMilliseconds: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        entries.withLock { entries in
            if entries.count >= limit { entries.removeFirst(entries.count / 2) }
            entries.append(entry)
        }
    }

    var all: [RecordedRequest] { entries.withLock { $0 } }

    func clear() { entries.withLock { $0 = [] } }
}
