// Standard metadata of objects and lists.

/// `metadata` of every object (`meta/v1 ObjectMeta`), the fields a
/// controller reads; unknown fields are ignored.
public struct ObjectMeta: Codable, Sendable, Equatable, Hashable {
    /// Unique name within the namespace.
    public var name: String?
    /// Prefix the server used to generate ``name``.
    public var generateName: String?
    /// Namespace; `nil` for cluster-scoped objects.
    public var namespace: String?
    /// Server-assigned unique id.
    public var uid: String?
    /// Opaque version for optimistic concurrency and watches; compare only
    /// for equality.
    public var resourceVersion: String?
    /// Sequence number of spec changes.
    public var generation: Int64?
    /// When the object was created.
    public var creationTimestamp: KubeTime?
    /// When graceful deletion was requested.
    public var deletionTimestamp: KubeTime?
    /// Labels.
    public var labels: [String: String]?
    /// Annotations.
    public var annotations: [String: String]?
    /// Objects this one belongs to.
    public var ownerReferences: [OwnerReference]?
    /// Finalizers that hold deletion.
    public var finalizers: [String]?

    /// Creates metadata.
    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil, resourceVersion: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.resourceVersion = resourceVersion
    }

    /// `namespace/name`, or `name` without a namespace.
    public var key: String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name ?? "")" }
        return name ?? ""
    }
}

/// A reference from an object to its owner.
public struct OwnerReference: Codable, Sendable, Equatable, Hashable {
    /// API version of the referenced object.
    public var apiVersion: String?
    /// Kind of the referenced object.
    public var kind: String?
    /// Name of the referenced object.
    public var name: String?
    /// UID of the referenced object.
    public var uid: String?
    /// Whether the owner is the managing controller.
    public var controller: Bool?
    /// Whether the owner waits for this object on foreground deletion.
    public var blockOwnerDeletion: Bool?

    /// Creates an owner reference.
    public init(apiVersion: String? = nil, kind: String? = nil, name: String? = nil, uid: String? = nil, controller: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// A reference to another object (`core/v1 ObjectReference`), as in an
/// endpoint's `targetRef` or an event's `involvedObject`.
public struct ObjectReference: Codable, Sendable, Equatable, Hashable {
    /// API version of the referenced object.
    public var apiVersion: String?
    /// Kind of the referenced object.
    public var kind: String?
    /// Namespace of the referenced object.
    public var namespace: String?
    /// Name of the referenced object.
    public var name: String?
    /// UID of the referenced object.
    public var uid: String?
    /// Version of the referenced object, when it matters.
    public var resourceVersion: String?
    /// Part of the object referred to, e.g. a container.
    public var fieldPath: String?

    /// Creates a reference.
    public init(apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil,
                uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

/// `metadata` of a list.
public struct ListMeta: Codable, Sendable, Equatable, Hashable {
    /// The version the list was read at; start a watch from here.
    public var resourceVersion: String?
    /// Token for the next page; empty or absent on the last one.
    public var `continue`: String?
    /// How many items remain after this page, when the server knows.
    public var remainingItemCount: Int64?

    /// Creates list metadata.
    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}
