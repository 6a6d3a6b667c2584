// Label selectors as the API accepts them in `labelSelector=`.
import Foundation

/// A parsed label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, joined by commas.
public struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    /// Parses a selector; throws a message fit for a 400 response.
    public init(parsing text: String) throws(SelectorError) {
        requirements = []
        for clause in Self.splitClauses(text) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            requirements.append(try Self.parseRequirement(part))
        }
    }

    /// Whether labels satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Splits on commas that are not inside parentheses.
    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 { clauses.append(current); current = "" } else { current.append(character) }
        }
        clauses.append(current)
        return clauses
    }

    private static func parseRequirement(_ part: String) throws(SelectorError) -> Requirement {
        if part.hasPrefix("!") { return .doesNotExist(part.dropFirst().trimmingCharacters(in: .whitespaces)) }
        for (op, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = part.range(of: op) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty else { throw SelectorError(message: "invalid label selector '\(part)': empty key") }
                return make(key, value)
            }
        }
        let words = part.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let rest = words[1].trimmingCharacters(in: .whitespaces)
            for (op, isIn) in [("in", true), ("notin", false)] where rest.hasPrefix(op) {
                let list = rest.dropFirst(op.count).trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw SelectorError(message: "invalid label selector '\(part)': expected a parenthesised list")
                }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                return isIn ? .isIn(words[0], values) : .notIn(words[0], values)
            }
            throw SelectorError(message: "invalid label selector '\(part)'")
        }
        return .exists(part)
    }
}

/// A selector the API would refuse with 400 Bad Request.
public struct SelectorError: Error, Sendable {
    /// Why.
    public var message: String
}
