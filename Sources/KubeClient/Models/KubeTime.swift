// Kubernetes timestamps, kept exactly as the server wrote them.
import Foundation

/// A `meta/v1 Time` or `MicroTime` (RFC 3339). The server's text is kept as
/// is, so re-encoding an object never changes it; ``date`` parses it.
public struct KubeTime: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The timestamp as the server wrote it, e.g. `2025-06-01T10:00:00Z`.
    public var rawValue: String

    /// Wraps a timestamp string.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Formats a date as RFC 3339 in UTC with whole seconds (`meta/v1 Time`).
    public init(_ date: Date) {
        var format = Date.ISO8601FormatStyle()
        format.timeZone = TimeZone(identifier: "UTC")!
        rawValue = date.formatted(format)
    }

    /// The instant, or `nil` when the text is not RFC 3339.
    public var date: Date? {
        if let date = try? Date(rawValue, strategy: .iso8601) { return date }
        return try? Date(rawValue, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
