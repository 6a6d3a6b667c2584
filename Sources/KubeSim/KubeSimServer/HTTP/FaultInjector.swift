// Faults the control API arms for the next N API requests: error statuses and latency.
import Foundation
import Synchronization

/// A fault to inject into matching API requests.
public struct FaultRule: Sendable, Codable, Equatable {
    /// HTTP status to answer instead (429, 500, 503, ...); `nil` for latency only.
    public var status: Int?
    /// `Retry-After` seconds sent with the status.
    public var retryAfterSeconds: Int?
    /// Delay before the request is handled.
    public var latencyMilliseconds: Int?
    /// How many requests it applies to; -1 until cleared.
    public var count: Int
    /// Only these verbs (`list`, `watch`, `get`, ...); `nil` for every verb.
    public var verbs: [String]?
    /// Only this resource (plural); `nil` for every resource.
    public var resource: String?

    /// Creates a rule.
    public init(status: Int? = nil, retryAfterSeconds: Int? = nil, latencyMilliseconds: Int? = nil, count: Int = 1,
                verbs: [String]? = nil, resource: String? = nil) {
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.latencyMilliseconds = latencyMilliseconds
        self.count = count
        self.verbs = verbs
        self.resource = resource
    }
}

/// The armed rules, consumed in order.
final class FaultInjector: Sendable {
    private let rules = Mutex<[FaultRule]>([])

    func add(_ rule: FaultRule) {
        rules.withLock { $0.append(rule) }
    }

    func clear() {
        rules.withLock { $0 = [] }
    }

    var armed: [FaultRule] { rules.withLock { $0 } }

    /// Takes one use of the first rule matching this request, if any.
    func take(verb: String, resource: ServedResource?) -> FaultRule? {
        rules.withLock { rules in
            guard let index = rules.firstIndex(where: { rule in
                rule.count != 0 && (rule.verbs?.contains(verb) ?? true) && (rule.resource == nil || rule.resource == resource?.plural)
            }) else { return nil }
            let rule = rules[index]
            if rule.count > 0 { rules[index].count -= 1 }
            if rules[index].count == 0 { rules.remove(at: index) }
            return rule
        }
    }

    /// The error response of a rule's status.
    static func error(for rule: FaultRule, status: Int) -> APIError {
        switch status {
        case 429:
            return APIError(code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                            details: rule.retryAfterSeconds.map { .object(["retryAfterSeconds": .int(Int64($0))]) },
                            retryAfterSeconds: rule.retryAfterSeconds)
        case 500:
            return APIError(code: 500, reason: "InternalError", message: "Internal error occurred: injected by KubeSim",
                            retryAfterSeconds: rule.retryAfterSeconds)
        case 503:
            return APIError(code: 503, reason: "ServiceUnavailable", message: "The server is currently unable to handle the request",
                            retryAfterSeconds: rule.retryAfterSeconds)
        default:
            return APIError(code: status, reason: "InternalError", message: "injected by KubeSim", retryAfterSeconds: rule.retryAfterSeconds)
        }
    }
}
