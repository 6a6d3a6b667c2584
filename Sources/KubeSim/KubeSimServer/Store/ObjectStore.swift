// KubeSim's storage: create, update, patch and delete with the API's semantics.
import Foundation
import Synchronization

/// All objects KubeSim serves, behind one lock, with one global
/// resourceVersion counter. Every change is recorded in a bounded history
/// and fanned out to watchers while the lock is held, so watchers see
/// changes in resourceVersion order with no gaps.
public final class ObjectStore: Sendable {
    let state: Mutex<StoreState>

    /// Creates a store holding the namespaces every cluster has.
    public init(historyLimit: Int = 1000) {
        state = Mutex(StoreState(historyLimit: historyLimit))
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? create(.namespaces, namespace: nil, object: .object(["metadata": .object(["name": .string(name)])]))
        }
    }

    /// The current global resourceVersion.
    public var resourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    /// Changes up to this version are gone from history.
    public var compactedThrough: Int64 { state.withLock { $0.compactedThrough } }

    /// Number of changes kept for watches to replay.
    public var historyCount: Int { state.withLock { $0.history.count } }

    // MARK: Writes

    /// Creates an object (POST). `namespace` is the one in the URL.
    @discardableResult
    public func create(_ resource: ServedResource, namespace: String?, object: JSONValue) throws(APIError) -> JSONValue {
        try state.withLock { state throws(APIError) in
            var object = object
            let key = try Self.prepareKey(&object, resource: resource, urlNamespace: namespace, urlName: nil)
            try Self.requireNamespace(key, resource: resource, state: state)
            if state.objects[resource]?[key] != nil { throw APIError.alreadyExists(resource, key.name) }
            ObjectDefaults.stampCreated(&object, resource: resource)
            ObjectDefaults.applyDefaults(&object, resource: resource, state: &state)
            return state.record(.added, resource, key, object: object, previous: nil)
        }
    }

    /// Replaces an object (PUT). A `metadata.resourceVersion` in the body
    /// must match the stored one, or the update fails with 409 Conflict.
    @discardableResult
    public func update(_ resource: ServedResource, namespace: String?, name: String, object: JSONValue) throws(APIError) -> JSONValue {
        try state.withLock { state throws(APIError) in
            var object = object
            let key = try Self.prepareKey(&object, resource: resource, urlNamespace: namespace, urlName: name)
            guard let current = state.objects[resource]?[key] else { throw APIError.notFound(resource, name) }
            return try Self.replace(current, with: object, resource: resource, key: key, checkVersion: true, state: &state)
        }
    }

    /// Applies a JSON merge patch (PATCH with `application/merge-patch+json`).
    @discardableResult
    public func patch(_ resource: ServedResource, namespace: String?, name: String, mergePatch: JSONValue) throws(APIError) -> JSONValue {
        try state.withLock { state throws(APIError) in
            let key = ObjectKey(namespace: resource.isNamespaced ? namespace ?? "" : "", name: name)
            guard let current = state.objects[resource]?[key] else { throw APIError.notFound(resource, name) }
            var patched = current.applyingMergePatch(mergePatch)
            patched[path: ["metadata", "name"]] = .string(name)
            let checkVersion = mergePatch[path: ["metadata", "resourceVersion"]] != nil
            if !checkVersion { patched[path: ["metadata", "resourceVersion"]] = nil }
            return try Self.replace(current, with: patched, resource: resource, key: key, checkVersion: checkVersion, state: &state)
        }
    }

    /// Deletes an object and returns its final state. Deleting a namespace
    /// deletes everything in it first.
    @discardableResult
    public func delete(_ resource: ServedResource, namespace: String?, name: String) throws(APIError) -> JSONValue {
        try state.withLock { state throws(APIError) in
            let key = ObjectKey(namespace: resource.isNamespaced ? namespace ?? "" : "", name: name)
            guard let current = state.objects[resource]?[key] else { throw APIError.notFound(resource, name) }
            if resource == .namespaces {
                for other in ServedResource.all where other.isNamespaced {
                    for (childKey, child) in (state.objects[other] ?? [:]).sorted(by: { $0.key < $1.key }) where childKey.namespace == name {
                        _ = state.record(.deleted, other, childKey, object: child, previous: child)
                    }
                }
            }
            return state.record(.deleted, resource, key, object: current, previous: current)
        }
    }

    /// Creates or replaces an object regardless of its resourceVersion, and
    /// creates its namespace when missing: the control API's shortcut for tests.
    @discardableResult
    public func apply(_ object: JSONValue) throws(APIError) -> JSONValue {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
              let resource = ServedResource.find(apiVersion: apiVersion, kind: kind) else {
            throw APIError.badRequest("KubeSim does not serve \(object["apiVersion"]?.stringValue ?? "?")/\(object["kind"]?.stringValue ?? "?")")
        }
        let namespace = resource.isNamespaced ? (object[path: ["metadata", "namespace"]]?.stringValue ?? "default") : nil
        if let namespace, (try? get(.namespaces, namespace: nil, name: namespace)) == nil {
            _ = try? create(.namespaces, namespace: nil, object: .object(["metadata": .object(["name": .string(namespace)])]))
        }
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        var body = object
        body[path: ["metadata", "resourceVersion"]] = nil
        do {
            return try update(resource, namespace: namespace, name: name, object: body)
        } catch where error.code == 404 {
            return try create(resource, namespace: namespace, object: body)
        }
    }

    // MARK: Helpers

    /// Checks the body against the URL and returns the object's key.
    private static func prepareKey(_ object: inout JSONValue, resource: ServedResource, urlNamespace: String?, urlName: String?) throws(APIError) -> ObjectKey {
        guard case .object = object else { throw APIError.badRequest("the body of the request was not a JSON object") }
        if let kind = object["kind"]?.stringValue, kind != resource.kind {
            throw APIError.badRequest("the kind of the provided object (\(kind)) does not match the resource (\(resource.kind))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != resource.apiVersion {
            throw APIError.badRequest("the API version of the provided object (\(apiVersion)) does not match \(resource.apiVersion)")
        }
        var name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if let urlName {
            if name.isEmpty { name = urlName }
            guard name == urlName else {
                throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(urlName))")
            }
        } else if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            name = prefix + String((0..<5).map { _ in "bcdfghjklmnpqrstvwxz2456789".randomElement()! })
        }
        guard !name.isEmpty else { throw APIError.invalid(resource, "", field: "metadata.name", "Required value: name or generateName is required") }
        object[path: ["metadata", "name"]] = .string(name)
        guard resource.isNamespaced else {
            object[path: ["metadata", "namespace"]] = nil
            return ObjectKey(namespace: "", name: name)
        }
        let bodyNamespace = object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let namespace = urlNamespace ?? (bodyNamespace.isEmpty ? "default" : bodyNamespace)
        if !bodyNamespace.isEmpty && bodyNamespace != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        object[path: ["metadata", "namespace"]] = .string(namespace)
        return ObjectKey(namespace: namespace, name: name)
    }

    private static func requireNamespace(_ key: ObjectKey, resource: ServedResource, state: StoreState) throws(APIError) {
        guard resource.isNamespaced else { return }
        if state.objects[.namespaces]?[ObjectKey(namespace: "", name: key.namespace)] == nil {
            throw APIError.notFound(.namespaces, key.namespace)
        }
    }

    private static func replace(_ current: JSONValue, with object: JSONValue, resource: ServedResource, key: ObjectKey,
                                checkVersion: Bool, state: inout StoreState) throws(APIError) -> JSONValue {
        var object = object
        if checkVersion, let sent = object[path: ["metadata", "resourceVersion"]]?.stringValue, !sent.isEmpty,
           sent != current[path: ["metadata", "resourceVersion"]]?.stringValue {
            throw APIError.conflict(resource, key.name)
        }
        // Fields the server owns survive a replace.
        for field in ["uid", "creationTimestamp", "generation"] {
            object[path: ["metadata", field]] = current[path: ["metadata", field]]
        }
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        object[path: ["metadata", "resourceVersion"]] = current[path: ["metadata", "resourceVersion"]]
        if resource == .services, object[path: ["spec", "clusterIP"]] == nil {
            object[path: ["spec", "clusterIP"]] = current[path: ["spec", "clusterIP"]]
        }
        ObjectDefaults.applyDefaults(&object, resource: resource, state: &state)
        // A write that changes nothing is not a change: no new version, no event.
        if object == current { return current }
        if resource == .endpointSlices, Self.withoutMetadata(object) != Self.withoutMetadata(current),
           case .int(let generation) = current[path: ["metadata", "generation"]] ?? .int(0) {
            object[path: ["metadata", "generation"]] = .int(generation + 1)
        }
        return state.record(.modified, resource, key, object: object, previous: current)
    }

    private static func withoutMetadata(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["metadata"] = nil
        return copy
    }
}
