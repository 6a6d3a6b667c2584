// Informers for Services and EndpointSlices, and a signal when either changes.
import KubeClient
import Logging

/// Keeps local caches of Services and EndpointSlices current and signals
/// every change. The signal holds at most one pending change: a burst of
/// notifications becomes one wake-up, which is what coalescing needs.
public final class ClusterObjectsWatch: Sendable {
    /// Cached Services.
    public let services: Informer<Service>
    /// Cached EndpointSlices.
    public let slices: Informer<EndpointSlice>
    /// Yields once per change (coalesced while nobody reads).
    public let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    /// Creates informers in `namespace`, or in all namespaces when `nil`.
    public init(client: KubeClient, namespace: String?, metrics: ControllerMetrics,
                options: InformerOptions = InformerOptions(), logger: Logger) {
        services = Informer<Service>(client: client, namespace: namespace, options: options, logger: logger)
        slices = Informer<EndpointSlice>(client: client, namespace: namespace, options: options, logger: logger)
        (changes, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let continuation = self.continuation
        let changed: @Sendable () -> Void = {
            metrics.update { $0.informerEvents += 1 }
            continuation.yield()
        }
        services.addEventHandler(InformerEventHandlers<Service>(
            added: { _, _ in changed() }, updated: { _, _ in changed() }, deleted: { _ in changed() },
            synced: { continuation.yield() }))
        slices.addEventHandler(InformerEventHandlers<EndpointSlice>(
            added: { _, _ in changed() }, updated: { _, _ in changed() }, deleted: { _ in changed() },
            synced: { continuation.yield() }))
    }

    /// Whether both informers have delivered their first LIST.
    public var hasSynced: Bool { services.hasSynced && slices.hasSynced }

    /// Lists and watches both kinds until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.services.run() }
            group.addTask { await self.slices.run() }
        }
        continuation.finish()
    }

    /// Returns when both informers have synced.
    public func waitForSync() async {
        await services.waitForSync()
        await slices.waitForSync()
    }

    /// Translates what the caches hold now.
    public func translate() -> Translation {
        MembershipTranslator.translate(services: services.store.list(), slices: slices.store.list())
    }
}
