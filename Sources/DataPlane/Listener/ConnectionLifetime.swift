// How a client connection ends gracefully: GOAWAY at its maximum age (so
// long-lived clients spread over instances added since they connected), or
// at shutdown. GOAWAY goes in two steps, as gRPC servers and Envoy do: a
// shutdown notice (last stream ID 2^31-1), then a round trip later the real
// last stream ID, so that no request already on its way is refused.
import NIOCore

/// The timers of a downstream connection's end.
struct ConnectionLifetime {
    var maxAge: Scheduled<Void>?
    var finalGoAway: Scheduled<Void>?
    var grace: Scheduled<Void>?
    var noticeSent = false

    mutating func cancel() {
        maxAge?.cancel()
        finalGoAway?.cancel()
        grace?.cancel()
        maxAge = nil
        finalGoAway = nil
        grace = nil
    }
}

extension DownstreamConnection {
    /// Starts the maximum-age clock (when configured), ±10 % so that
    /// connections opened together do not all reconnect together.
    func startLifetime() {
        let age = worker.limits.maxConnectionAge.nanoseconds
        guard age > 0 else { return }
        let jitter = age / 10
        let delay = age - jitter + Int64(worker.random.next(below: Int(max(2 * jitter, 1))))
        lifetime.maxAge = after(.nanoseconds(delay)) { $0.maxAgeReached() }
    }

    private func maxAgeReached() {
        lifetime.maxAge = nil
        guard !lifetime.noticeSent, !goingAway else { return }
        worker.counters.maxAgeGoAways += 1
        shutDownGracefully()
        let grace = worker.limits.maxConnectionAgeGrace
        if grace > .zero {
            lifetime.grace = after(worker.limits.goAwayNoticePeriod + grace) { c in
                c.worker.logger.debug("closing a client connection at the end of maxConnectionAgeGrace with \(c.activeStreams) RPCs in flight")
                c.context?.close(promise: nil)
            }
        }
    }

    /// Shutdown notice now, final GOAWAY after `goAwayNoticePeriod`; RPCs
    /// in flight finish, then the connection closes.
    func shutDownGracefully() {
        guard !lifetime.noticeSent, !goingAway, let session else { return }
        lifetime.noticeSent = true
        session.shutdownNotice()
        worker.needsFlush(self)
        lifetime.finalGoAway = after(worker.limits.goAwayNoticePeriod) { c in
            c.lifetime.finalGoAway = nil
            c.goAway()
        }
    }

    private func after(_ delay: TimeAmount, _ body: @escaping (DownstreamConnection) -> Void) -> Scheduled<Void> {
        worker.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            body(self)
            self.worker.flushDirty()
        }
    }
}
