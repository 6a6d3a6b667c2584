// Field selectors (`fieldSelector=metadata.name=x`), on the fields the API indexes for every kind.
import Foundation

/// A parsed field selector supporting `=`, `==` and `!=` on
/// `metadata.name`, `metadata.namespace` and any other dotted path of
/// string fields.
public struct FieldSelector: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var path: [String]
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement]

    /// Parses a selector.
    public init(parsing text: String) throws(SelectorError) {
        requirements = []
        for clause in text.split(separator: ",") {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            var negated = false
            var separator = "="
            if part.contains("!=") { negated = true; separator = "!=" } else if part.contains("==") { separator = "==" }
            guard let range = part.range(of: separator) else {
                throw SelectorError(message: "invalid field selector '\(part)'")
            }
            let field = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
            requirements.append(Requirement(path: field.split(separator: ".").map(String.init), value: value, negated: negated))
        }
    }

    /// Whether the object satisfies every requirement (a missing field reads as "").
    public func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual: String
            switch object[path: requirement.path] {
            case .string(let value): actual = value
            case .int(let value): actual = String(value)
            case .bool(let value): actual = String(value)
            default: actual = ""
            }
            return (actual == requirement.value) != requirement.negated
        }
    }
}
