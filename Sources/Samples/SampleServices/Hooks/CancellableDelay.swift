// The `x-delay-ms` wait, which notices when the RPC goes away.

import GRPCCore

/// Sleeps inside an RPC handler and reports cancellation of the RPC.
///
/// grpc-swift-2 does not cancel the handler's task when the client resets the
/// stream or the deadline passes; it fires the RPC's cancellation handle. So
/// the sleep races that handle, and the loser is cancelled. The handle also
/// fires when the server starts a graceful shutdown; then the sleep goes on,
/// because in-flight RPCs are to be finished.
enum CancellableDelay {
    private enum Outcome: Sendable {
        case elapsed
        case cancelled
    }

    /// Waits `delay`, or throws `RPCError(.cancelled)` after printing
    /// `CANCELLED <method path>` to stderr if the RPC is cancelled first.
    static func sleep(for delay: Duration, context: ServerContext, drain: DrainSignal) async throws {
        let deadline = ContinuousClock.now + delay
        let cancellation = context.cancellation
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: delay)
                    return .elapsed
                } catch {
                    return .cancelled
                }
            }
            group.addTask {
                // Returns when the RPC is cancelled, throws when this task is
                // (because the sleep finished first); both end the race.
                _ = try? await cancellation.cancelled
                return .cancelled
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        if case .cancelled = outcome, drain.isDraining, !Task.isCancelled {
            // Quiescing, not cancelled: finish the work. The handle fires only
            // once, so the rest of the wait can't notice a cancellation.
            try await Task.sleep(until: deadline)
            return
        }
        if case .cancelled = outcome {
            let path = "/\(context.descriptor.service.fullyQualifiedService)/\(context.descriptor.method)"
            StandardStreams.printErrorLine("CANCELLED \(path)")
            throw RPCError(code: .cancelled, message: "cancelled during \(SampleMetadataKey.delayMilliseconds)")
        }
    }
}
