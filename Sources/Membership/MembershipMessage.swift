// The messages of the membership stream (controller ⇄ proxy), one JSON
// object per frame, told apart by `type`.
import Foundation

public enum MembershipMessage: Sendable, Equatable {
    /// proxy → controller, first on every connection.
    case hello(node: String, lastVersion: UInt64)
    /// proxy → controller: `version` is in force.
    case ack(version: UInt64)
    /// proxy → controller: `version` was refused; the previous one stays.
    case nack(version: UInt64, error: String)
    /// controller → proxy: the whole membership.
    case snapshot(version: UInt64, clusters: [MembershipCluster])
    /// controller → proxy: changes on top of `baseVersion`.
    case delta(version: UInt64, baseVersion: UInt64, upserts: [MembershipCluster], removes: [String])
}

extension MembershipMessage: Codable {
    private enum Key: String, CodingKey {
        case type, node, lastVersion, version, error, clusters, baseVersion, upserts, removes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "hello":
            self = .hello(node: try c.decode(String.self, forKey: .node),
                          lastVersion: try c.decodeIfPresent(UInt64.self, forKey: .lastVersion) ?? 0)
        case "ack": self = .ack(version: try c.decode(UInt64.self, forKey: .version))
        case "nack":
            self = .nack(version: try c.decode(UInt64.self, forKey: .version),
                         error: try c.decode(String.self, forKey: .error))
        case "snapshot":
            self = .snapshot(version: try c.decode(UInt64.self, forKey: .version),
                             clusters: try c.decode([MembershipCluster].self, forKey: .clusters))
        case "delta":
            self = .delta(version: try c.decode(UInt64.self, forKey: .version),
                          baseVersion: try c.decode(UInt64.self, forKey: .baseVersion),
                          upserts: try c.decodeIfPresent([MembershipCluster].self, forKey: .upserts) ?? [],
                          removes: try c.decodeIfPresent([String].self, forKey: .removes) ?? [])
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c,
                                                   debugDescription: "unknown message type \"\(type)\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .hello(let node, let last):
            try c.encode("hello", forKey: .type)
            try c.encode(node, forKey: .node)
            try c.encode(last, forKey: .lastVersion)
        case .ack(let v):
            try c.encode("ack", forKey: .type)
            try c.encode(v, forKey: .version)
        case .nack(let v, let error):
            try c.encode("nack", forKey: .type)
            try c.encode(v, forKey: .version)
            try c.encode(error, forKey: .error)
        case .snapshot(let v, let clusters):
            try c.encode("snapshot", forKey: .type)
            try c.encode(v, forKey: .version)
            try c.encode(clusters, forKey: .clusters)
        case .delta(let v, let base, let upserts, let removes):
            try c.encode("delta", forKey: .type)
            try c.encode(v, forKey: .version)
            try c.encode(base, forKey: .baseVersion)
            try c.encode(upserts, forKey: .upserts)
            try c.encode(removes, forKey: .removes)
        }
    }
}

/// Frames on the wire: a 4-byte big-endian length, then the JSON message.
public enum MembershipFrame {
    /// Frames larger than this are refused (a broken or hostile peer).
    public static let maximumLength = 16 << 20
    /// Bytes a receiver buffers before it gives up on the peer: one frame
    /// at the limit and the start of the next. A length field claiming more
    /// ends the connection once this much has arrived, not gigabytes later.
    public static let maximumBufferedBytes = 2 * maximumLength + 8

    public static func encode(_ message: MembershipMessage) throws -> [UInt8] {
        let json = try JSONEncoder().encode(message)
        let n = UInt32(json.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(json)
    }

    /// Decodes one frame's payload, with an error that says what is wrong.
    public static func decode(_ payload: [UInt8]) throws -> MembershipMessage {
        do {
            return try JSONDecoder().decode(MembershipMessage.self, from: Data(payload))
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw MembershipError("missing field \"\(Self.path(ctx.codingPath + [key]))\"")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw MembershipError("wrong type at \"\(Self.path(ctx.codingPath))\": \(ctx.debugDescription)")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw MembershipError("null at \"\(Self.path(ctx.codingPath))\"")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw MembershipError(ctx.codingPath.isEmpty ? "not valid JSON"
                                  : "\(Self.path(ctx.codingPath)): \(ctx.debugDescription)")
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }
}

public struct MembershipError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
