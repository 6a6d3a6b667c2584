// Whether the server is draining, for handlers that must tell a graceful
// shutdown apart from a cancelled RPC.

import Synchronization

/// Set once a graceful shutdown has begun.
///
/// grpc-swift-2 fires every in-flight RPC's cancellation handle when the
/// server quiesces, the same handle a client cancellation or a deadline
/// fires. A sample server promises to *finish* in-flight RPCs on SIGTERM, so
/// handlers consult this to keep working through a drain.
public final class DrainSignal: Sendable {
    private let draining = Atomic<Bool>(false)

    /// Creates a signal that is not set.
    public init() {}

    /// Whether a graceful shutdown has begun.
    public var isDraining: Bool {
        self.draining.load(ordering: .acquiring)
    }

    /// Marks the start of the graceful shutdown; call it before the server
    /// begins to quiesce.
    public func begin() {
        self.draining.store(true, ordering: .releasing)
    }
}
