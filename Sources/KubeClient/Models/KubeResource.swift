// What every typed Kubernetes object declares about its API resource.
import Foundation

/// An API resource's coordinates: where it is served and whether it lives in
/// a namespace.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group.
    public var group: String
    /// API version within the group, e.g. `v1`.
    public var version: String
    /// The object kind, e.g. `EndpointSlice`.
    public var kind: String
    /// The resource name in URLs, e.g. `endpointslices`.
    public var plural: String
    /// Whether objects live in a namespace.
    public var isNamespaced: Bool

    /// Creates a resource type.
    public init(group: String, version: String, kind: String, plural: String, isNamespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.isNamespaced = isNamespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The URL path of the collection (namespace `nil`: across all namespaces)
    /// or, with a name, of one object.
    public func path(namespace: String?, name: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if isNamespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escape(name))" }
        return path
    }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    private static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? segment
    }
}

/// A typed Kubernetes object that KubeClient can get, list, watch and
/// inform on.
public protocol KubeResource: Codable, Sendable, Hashable {
    /// Where this kind is served.
    static var resourceType: ResourceType { get }
    /// `apiVersion` as sent by the server (absent on list items).
    var apiVersion: String? { get set }
    /// `kind` as sent by the server (absent on list items).
    var kind: String? { get set }
    /// Standard object metadata.
    var metadata: ObjectMeta { get set }
}

extension KubeResource {
    /// The informer store key: `namespace/name`, or `name` for objects
    /// without a namespace (client-go's `MetaNamespaceKeyFunc`).
    public var key: String { metadata.key }
}
