// A cache of one kind of object kept current by list and watch, with change notifications.
import Logging
import Synchronization

/// Keeps an ``InformerStore`` in step with the API server the way client-go's
/// reflector does, and tells handlers what changed:
///
/// 1. LIST (paginated) and replace the store, delivering the difference;
///    after the first one, ``InformerEventHandler/onSynced()``.
/// 2. WATCH from the list's resourceVersion with `allowWatchBookmarks=true`
///    and a jittered `timeoutSeconds`; apply each event.
/// 3. When the watch ends, watch again from the last version seen
///    (bookmarks included), without relisting.
/// 4. On `410 Gone`/`Expired` (HTTP status or ERROR event), LIST again and
///    deliver exactly the difference.
/// 5. On errors, `429` and `5xx`, back off exponentially with jitter,
///    honouring `Retry-After`.
///
/// ```swift
/// let slices = Informer<EndpointSlice>(client: client, labelSelector: "app=echo")
/// slices.addEventHandler(InformerEventHandlers(added: { slice, _ in ... }))
/// let task = Task { await slices.run() }
/// await slices.waitForSync()
/// ```
public final class Informer<Object: KubeResource>: Sendable {
    /// The local cache; current as of the last delivered notification.
    public let store = InformerStore<Object>()

    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    let fieldSelector: String?
    let options: InformerOptions
    let logger: Logger

    private struct State {
        var handlers: [any InformerEventHandler<Object>] = []
        var synced = false
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
        var lastSyncResourceVersion: String?
        var running = false
        var streams: [AsyncStream<InformerEvent<Object>>.Continuation] = []
    }

    private let state = Mutex(State())

    /// Creates an informer for `Object` in one namespace, or in all of them
    /// when `namespace` is `nil`, optionally narrowed by selectors.
    public init(client: KubeClient, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                options: InformerOptions = InformerOptions(), logger: Logger = Logger(label: "portico.informer")) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.options = options
        var logger = logger
        logger[metadataKey: "resource"] = "\(Object.resourceType)"
        self.logger = logger
    }

    /// Adds a handler. Handlers added before ``run()`` see everything; later
    /// ones see only what happens after.
    public func addEventHandler(_ handler: some InformerEventHandler<Object>) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// The notifications as an `AsyncStream` (an unbounded buffer: read it
    /// promptly). It finishes when ``run()`` returns.
    public func events() -> AsyncStream<InformerEvent<Object>> {
        let (stream, continuation) = AsyncStream<InformerEvent<Object>>.makeStream()
        state.withLock { $0.streams.append(continuation) }
        addEventHandler(InformerEventHandlers(
            added: { continuation.yield(.added($0, isInInitialList: $1)) },
            updated: { continuation.yield(.updated(old: $0, new: $1)) },
            deleted: { continuation.yield(.deleted($0)) },
            synced: { continuation.yield(.synced) }))
        return stream
    }

    /// Whether the first LIST has been delivered.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The newest resourceVersion seen (list, event or bookmark); the next
    /// watch starts from here.
    public var lastSyncResourceVersion: String? { state.withLock { $0.lastSyncResourceVersion } }

    /// Returns once the first LIST has been delivered.
    public func waitForSync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.synced { return true }
                state.syncWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lists and watches until the calling task is cancelled. Call once.
    public func run() async {
        let alreadyRunning = state.withLock { state in
            defer { state.running = true }
            return state.running
        }
        precondition(!alreadyRunning, "Informer.run() called twice")
        await Reflector(informer: self).run()
        for stream in state.withLock({ $0.streams }) { stream.finish() }
    }

    // MARK: Called by the reflector

    func setResourceVersion(_ version: String?) {
        guard let version, !version.isEmpty else { return }
        state.withLock { $0.lastSyncResourceVersion = version }
    }

    func notify(_ body: (any InformerEventHandler<Object>) -> Void) {
        for handler in state.withLock({ $0.handlers }) { body(handler) }
    }

    func markSynced() {
        let waiters: [CheckedContinuation<Void, Never>]? = state.withLock { state in
            if state.synced { return nil }
            state.synced = true
            defer { state.syncWaiters = [] }
            return state.syncWaiters
        }
        guard let waiters else { return }
        notify { $0.onSynced() }
        for waiter in waiters { waiter.resume() }
    }
}
