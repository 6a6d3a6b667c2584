// Admission of client connections: the global and per-worker connection
// limits, and the TLS handshake deadline.
import Atomics
import NIOCore
import NIOSSL
import NIOTLS

enum ConnectionAdmission {
    /// Counts `channel` against the limits, or closes it at once when a limit
    /// is reached (returns false). Counts are released when the channel closes.
    static func admit(_ channel: Channel, proxy: Proxy, worker: Worker) -> Bool {
        let limits = proxy.config.limits
        let total = proxy.openConnections.wrappingIncrementThenLoad(ordering: .relaxed)
        let perWorker = limits.maxConnectionsPerWorker
        if total > limits.maxConnections || (perWorker > 0 && worker.openConnections >= perWorker) {
            proxy.openConnections.wrappingDecrement(ordering: .relaxed)
            worker.countLimit("max_connections")
            worker.logger.notice("refusing client connection: connection limit reached", metadata: [
                "peer": "\(channel.remoteAddress?.description ?? "?")", "open": "\(total - 1)",
            ])
            // Close without reading: the client sees the connection end
            // before any byte, and nothing is allocated for it.
            channel.close(mode: .all, promise: nil)
            return false
        }
        worker.openConnections += 1
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            proxy.openConnections.wrappingDecrement(ordering: .relaxed)
            worker.openConnections -= 1
        }
        return true
    }
}

/// Closes a connection whose TLS handshake has not finished in time; removes
/// itself once it has.
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private unowned let worker: Worker
    private var task: Scheduled<Void>?

    init(timeout: TimeAmount, worker: Worker) {
        self.timeout = timeout
        self.worker = worker
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let worker = self.worker
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        task = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            worker.countLimit("tls_handshake_timeout")
            worker.logger.debug("closing client connection: TLS handshake timeout")
            bound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            task?.cancel()
            task = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
