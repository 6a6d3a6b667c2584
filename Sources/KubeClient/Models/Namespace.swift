// core/v1 Namespace, enough to create and list them.

/// A `v1` Namespace.
public struct Namespace: KubeResource {
    /// Where this kind is served.
    public static let resourceType = ResourceType(group: "", version: "v1", kind: "Namespace", plural: "namespaces", isNamespaced: false)

    /// `apiVersion` as sent (absent on list items).
    public var apiVersion: String?
    /// `kind` as sent (absent on list items).
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta

    /// Creates a namespace.
    public init(name: String, labels: [String: String]? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = ObjectMeta(name: name, labels: labels)
    }
}
