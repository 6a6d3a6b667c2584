// Converting YAML (manifests) into JSONValue.
import Foundation
import Yams

extension JSONValue {
    /// Every document of a multi-document YAML text; empty documents are skipped.
    public static func documents(fromYAML text: String) throws -> [JSONValue] {
        var result: [JSONValue] = []
        for node in try Yams.compose_all(yaml: text) {
            let value = JSONValue(yaml: node)
            if value != .null { result.append(value) }
        }
        return result
    }

    /// Converts a YAML node, resolving scalars with the YAML 1.1 core rules
    /// Yams applies (so `port: 80` is a number and `"80"` a string).
    init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty { self = .null; return }
                if let value = Bool.construct(from: scalar) { self = .bool(value); return }
                if let value = Int.construct(from: scalar) { self = .int(Int64(value)); return }
                if let value = Double.construct(from: scalar) { self = .double(value); return }
            }
            self = .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                members[key.string ?? ""] = JSONValue(yaml: value)
            }
            self = .object(members)
        case .sequence(let sequence):
            self = .array(sequence.map { JSONValue(yaml: $0) })
        case .alias(let alias):
            self = .string(alias.anchor.rawValue)
        }
    }
}
