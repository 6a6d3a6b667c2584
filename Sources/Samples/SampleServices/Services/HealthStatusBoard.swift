// The serving status of one sample instance, shared by Check, Watch and signals.

import Synchronization

/// Whether this instance is serving, as the health service reports it.
///
/// One flag covers the whole instance: the server (`""`) and every service it
/// serves flip together, which is what a rollout or a SIGUSR1 drill needs.
/// Watchers are told about every change.
public final class HealthStatusBoard: Sendable {
    /// The status of one service name, as `grpc.health.v1` spells it.
    public enum Status: Sendable, Equatable {
        /// The service is ready for RPCs.
        case serving
        /// The service refuses to be picked (drill, draining, shutdown).
        case notServing
        /// The name is not served by this instance.
        case serviceUnknown
    }

    private struct State {
        var serving: Bool
        var shutDown = false
        var nextWatcherID = 0
        var watchers: [Int: AsyncStream<Bool>.Continuation] = [:]
    }

    /// The service names the board answers for, besides `""` (the server).
    public let serviceNames: Set<String>
    private let state: Mutex<State>

    /// Creates a board for `serviceNames`, serving or not.
    public init(serviceNames: some Sequence<String>, serving: Bool = true) {
        self.serviceNames = Set(serviceNames)
        self.state = Mutex(State(serving: serving))
    }

    /// Whether the instance currently reports SERVING.
    public var isServing: Bool {
        self.state.withLock { $0.serving }
    }

    /// The status of `service`; `""` is the server as a whole.
    public func status(of service: String) -> Status {
        guard service.isEmpty || self.serviceNames.contains(service) else { return .serviceUnknown }
        return self.isServing ? .serving : .notServing
    }

    /// Switches between SERVING and NOT_SERVING; ignored after ``shutDown()``
    /// so a late signal can't make a stopping instance look healthy again.
    public func setServing(_ serving: Bool) {
        let watchers: [AsyncStream<Bool>.Continuation] = self.state.withLock { state in
            guard !state.shutDown, state.serving != serving else { return [] }
            state.serving = serving
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.yield(serving)
        }
    }

    /// Reports NOT_SERVING for good and ends every watch, so that a graceful
    /// shutdown is not held open by Watch streams (which never end by themselves).
    public func shutDown() {
        let watchers: [AsyncStream<Bool>.Continuation] = self.state.withLock { state in
            state.shutDown = true
            state.serving = false
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.yield(false)
            watcher.finish()
        }
    }

    /// A stream of the serving flag: the current value, then every change. It
    /// ends at ``shutDown()`` or when `stop` is called.
    func watch() -> (updates: AsyncStream<Bool>, stop: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(16))
        let id: Int? = self.state.withLock { state in
            continuation.yield(state.serving)
            guard !state.shutDown else { return nil }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return (stream, {})
        }
        let stop: @Sendable () -> Void = { [weak self] in
            let removed = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
            removed?.finish()
        }
        return (stream, stop)
    }
}
