// How an informer tells its users what changed.

/// Receives an informer's notifications, one at a time and in order, on the
/// informer's task. The store already reflects each change when it is
/// delivered. Keep handlers quick (enqueue work elsewhere).
public protocol InformerEventHandler<Object>: Sendable {
    /// The kind of object.
    associatedtype Object: KubeResource
    /// A new object; `isInInitialList` during the first LIST.
    func onAdd(_ object: Object, isInInitialList: Bool)
    /// An object changed (including changes found by a relist).
    func onUpdate(old: Object, new: Object)
    /// An object was deleted (or vanished across a relist); its last known state.
    func onDelete(_ object: Object)
    /// The first LIST has been delivered in full; sent once.
    func onSynced()
}

/// An ``InformerEventHandler`` made of closures.
public struct InformerEventHandlers<Object: KubeResource>: InformerEventHandler {
    let added: @Sendable (Object, Bool) -> Void
    let updated: @Sendable (Object, Object) -> Void
    let deleted: @Sendable (Object) -> Void
    let synced: @Sendable () -> Void

    /// Creates a handler; every closure is optional.
    public init(
        added: @escaping @Sendable (_ object: Object, _ isInInitialList: Bool) -> Void = { _, _ in },
        updated: @escaping @Sendable (_ old: Object, _ new: Object) -> Void = { _, _ in },
        deleted: @escaping @Sendable (_ object: Object) -> Void = { _ in },
        synced: @escaping @Sendable () -> Void = {}
    ) {
        self.added = added
        self.updated = updated
        self.deleted = deleted
        self.synced = synced
    }

    /// Calls `added`.
    public func onAdd(_ object: Object, isInInitialList: Bool) { added(object, isInInitialList) }
    /// Calls `updated`.
    public func onUpdate(old: Object, new: Object) { updated(old, new) }
    /// Calls `deleted`.
    public func onDelete(_ object: Object) { deleted(object) }
    /// Calls `synced`.
    public func onSynced() { synced() }
}

/// One notification, for consumers that prefer an `AsyncStream`.
public enum InformerEvent<Object: KubeResource>: Sendable, Equatable {
    /// See ``InformerEventHandler/onAdd(_:isInInitialList:)``.
    case added(Object, isInInitialList: Bool)
    /// See ``InformerEventHandler/onUpdate(old:new:)``.
    case updated(old: Object, new: Object)
    /// See ``InformerEventHandler/onDelete(_:)``.
    case deleted(Object)
    /// See ``InformerEventHandler/onSynced()``.
    case synced
}
