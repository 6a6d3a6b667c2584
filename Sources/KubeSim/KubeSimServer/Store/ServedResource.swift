// The API resources KubeSim serves, with what discovery says about them.

/// One resource KubeSim serves.
public struct ServedResource: Sendable, Hashable {
    /// API group; empty for the core group.
    public var group: String
    /// Version, `v1` for all of them.
    public var version: String
    /// Kind of one object.
    public var kind: String
    /// Resource name in URLs.
    public var plural: String
    /// Singular name (discovery).
    public var singular: String
    /// Whether objects live in namespaces.
    public var isNamespaced: Bool
    /// kubectl short names (discovery).
    public var shortNames: [String]

    /// `v1` or `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// Kind of a list of these.
    public var listKind: String { kind + "List" }

    /// Everything KubeSim serves.
    public static let all: [ServedResource] = [namespaces, services, endpointSlices, events]

    /// core/v1 Namespaces.
    public static let namespaces = ServedResource(group: "", version: "v1", kind: "Namespace", plural: "namespaces",
                                                  singular: "namespace", isNamespaced: false, shortNames: ["ns"])
    /// core/v1 Services.
    public static let services = ServedResource(group: "", version: "v1", kind: "Service", plural: "services",
                                                singular: "service", isNamespaced: true, shortNames: ["svc"])
    /// discovery.k8s.io/v1 EndpointSlices.
    public static let endpointSlices = ServedResource(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice",
                                                      plural: "endpointslices", singular: "endpointslice", isNamespaced: true, shortNames: [])
    /// core/v1 Events.
    public static let events = ServedResource(group: "", version: "v1", kind: "Event", plural: "events",
                                              singular: "event", isNamespaced: true, shortNames: ["ev"])

    /// The resource served under `group/version` with this plural name.
    public static func find(group: String, version: String, plural: String) -> ServedResource? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    /// The resource whose objects have this `apiVersion` and `kind`.
    public static func find(apiVersion: String, kind: String) -> ServedResource? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// The resource known by a plural, singular or short name (control API paths).
    public static func find(name: String) -> ServedResource? {
        let lower = name.lowercased()
        return all.first { $0.plural == lower || $0.singular == lower || $0.shortNames.contains(lower) || $0.kind.lowercased() == lower }
    }
}

/// Identifies one object within its resource.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Namespace; empty for cluster-scoped objects.
    public var namespace: String
    /// Name.
    public var name: String

    /// Creates a key.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Orders by namespace, then name (the order lists use).
    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }

    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
}
