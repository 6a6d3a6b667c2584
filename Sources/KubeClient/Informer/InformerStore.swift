// The informer's local copy of the watched objects.
import Synchronization

/// A thread-safe cache of objects keyed by `namespace/name` (or `name` for
/// cluster-scoped kinds). Readable from any thread; only the informer writes.
public final class InformerStore<Object: KubeResource>: Sendable {
    /// What a relist changed.
    struct Difference {
        var added: [Object] = []
        var updated: [(old: Object, new: Object)] = []
        var deleted: [Object] = []
    }

    private let objects = Mutex<[String: Object]>([:])

    /// Creates an empty store.
    public init() {}

    /// The object with this key (`namespace/name`).
    public func get(key: String) -> Object? {
        objects.withLock { $0[key] }
    }

    /// The object with this namespace and name.
    public func get(namespace: String?, name: String) -> Object? {
        get(key: ObjectMeta(name: name, namespace: namespace).key)
    }

    /// Every object, ordered by key.
    public func list() -> [Object] {
        objects.withLock { objects in objects.keys.sorted().map { objects[$0]! } }
    }

    /// Every key, sorted.
    public var keys: [String] {
        objects.withLock { $0.keys.sorted() }
    }

    /// Number of objects.
    public var count: Int {
        objects.withLock { $0.count }
    }

    /// Inserts or replaces an object; returns the previous one.
    func upsert(_ object: Object) -> Object? {
        objects.withLock { $0.updateValue(object, forKey: object.key) }
    }

    /// Removes an object; returns it if it was there.
    func remove(key: String) -> Object? {
        objects.withLock { $0.removeValue(forKey: key) }
    }

    /// Replaces the whole content with a fresh list and returns exactly what
    /// changed: new keys, keys whose resourceVersion moved, and vanished keys.
    func replace(with items: [Object]) -> Difference {
        objects.withLock { objects in
            var difference = Difference()
            var fresh: [String: Object] = [:]
            for item in items {
                fresh[item.key] = item
                if let old = objects[item.key] {
                    if old.metadata.resourceVersion != item.metadata.resourceVersion || old != item {
                        difference.updated.append((old, item))
                    }
                } else {
                    difference.added.append(item)
                }
            }
            for key in objects.keys.sorted() where fresh[key] == nil {
                difference.deleted.append(objects[key]!)
            }
            objects = fresh
            return difference
        }
    }
}
