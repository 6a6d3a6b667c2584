// One line of a watch stream.

/// A watch event (`meta/v1 WatchEvent`), decoded from
/// `{"type": "...", "object": {...}}`.
public enum WatchEvent<Object: KubeResource>: Decodable, Sendable, Hashable {
    /// An object was created (or is part of the initial state).
    case added(Object)
    /// An object changed.
    case modified(Object)
    /// An object was deleted; the payload is its last state.
    case deleted(Object)
    /// Progress notification: everything up to this resourceVersion has been
    /// sent. Only `metadata` is meaningful (``ObjectMeta/resourceVersion``,
    /// and annotations such as `k8s.io/initial-events-end`).
    case bookmark(ObjectMeta)
    /// The watch failed; `410`/`Expired` means the version is too old.
    case error(Status)

    private enum CodingKeys: String, CodingKey {
        case type, object
    }

    private struct MetadataOnly: Decodable {
        var metadata: ObjectMeta?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try container.decode(Object.self, forKey: .object))
        case "MODIFIED": self = .modified(try container.decode(Object.self, forKey: .object))
        case "DELETED": self = .deleted(try container.decode(Object.self, forKey: .object))
        case "BOOKMARK":
            self = .bookmark(try container.decode(MetadataOnly.self, forKey: .object).metadata ?? ObjectMeta())
        case "ERROR": self = .error(try container.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type '\(type)'")
        }
    }

    /// The resourceVersion this event moves the watch to, if any.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let metadata): metadata.resourceVersion
        case .error: nil
        }
    }
}
