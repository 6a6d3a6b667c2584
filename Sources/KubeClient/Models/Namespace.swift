// core/v1 Namespace, enough to create and list them.

/// A `v1` Namespace.
public struct Namespace: KubeResource {
    public static let resourceType = ResourceType(group: "", version: "v1", kind: "Namespace", plural: "namespaces", isNamespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta

    /// Creates a namespace.
    public init(name: String, labels: [String: String]? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = ObjectMeta(name: name, labels: labels)
    }
}
