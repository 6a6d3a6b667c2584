// What both sides of the proxy share: a channel handler that owns one
// HTTP2Session, feeds it the channel's bytes and writes its frames back.
import NIOCore

class HTTP2Connection: ChannelInboundHandler, HTTP2OutboundSink, HTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    unowned let worker: Worker
    var session: HTTP2Session?
    var context: ChannelHandlerContext?
    /// Queued in the worker's flush list.
    var isDirty = false
    private var wroteSinceFlush = false
    /// The worker's coarse clock at the last read (keepalive).
    var lastReadAt = NIODeadline.uptimeNanoseconds(0)
    /// Keepalive: a PING is out since this (coarse) time.
    private var pingSentAt: NIODeadline?

    init(worker: Worker) { self.worker = worker }

    // MARK: Subclass hooks

    var role: HTTP2Session.Role { fatalError("subclass") }
    var parameters: HTTP2Parameters { fatalError("subclass") }
    /// The channel is up and the session exists.
    func sessionStarted() {}
    /// The channel is gone: release every stream.
    func connectionClosed() {}
    /// nghttp2 refused the input; `error` says why. The default closes.
    func receiveFailed(_ error: HTTP2SessionError, input: ByteBuffer) {
        context?.close(promise: nil)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard session == nil else { return }
        do {
            let s = try HTTP2Session(role: role, parameters: parameters, allocator: context.channel.allocator)
            s.delegate = self
            s.sink = self
            session = s
            sessionStarted()
            // A server speaks after the client's preface, so that a client
            // speaking HTTP/1.1 gets a plain HTTP/1.1 error, not binary frames.
            if role == .client {
                worker.needsFlush(self)
                worker.flushDirty()
            }
        } catch {
            worker.logger.error("cannot start HTTP/2 session: \(error)")
            context.close(promise: nil)
        }
    }

    /// Bytes from the peer: parsed at once, answered once per read batch
    /// (`channelReadComplete`), so that a burst of reads costs one flush.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let session else { return }
        lastReadAt = worker.now
        worker.codecDepth += 1
        do {
            try session.receive(buffer)
        } catch let error as HTTP2SessionError {
            worker.codecDepth -= 1
            receiveFailed(error, input: buffer)
            worker.needsFlush(self)
            return
        } catch {
            context.close(promise: nil)
        }
        worker.codecDepth -= 1
        worker.needsFlush(self)
        // Closed while parsing: no read-complete may follow, so what this
        // input made other sessions send goes out now.
        if session.isClosed { worker.flushDirty() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        worker.flushDirty()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            worker.needsFlush(self)
            worker.flushDirty()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        teardown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        teardown()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private var tornDown = false
    private func teardown() {
        guard !tornDown else { return }
        tornDown = true
        session?.close()
        connectionClosed()
        worker.flushDirty()
    }

    // MARK: Output

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
        wroteSinceFlush = true
    }

    func sessionNeedsFlush() { worker.needsFlush(self) }

    /// Just before the session's frames are serialised (upstream: submit
    /// the RPCs waiting for a stream).
    func willFlush(_ session: HTTP2Session) {}

    /// Bytes one flush may hand to the channel before it checks that the
    /// peer is still reading.
    static let flushBudget = 256 << 10

    /// Called by the worker: serialise pending frames and write them, a
    /// budget at a time. A peer that stops reading makes the channel
    /// unwritable; then nothing more is produced for it (deferred resets and
    /// window changes still apply), so what it costs stays bounded by the
    /// channel's watermark, one budget, and its streams' windows.
    func flushSession() {
        guard let context, let session, !session.isClosed else { return }
        willFlush(session)
        guard context.channel.isWritable else {
            session.applyDeferred()
            return
        }
        do {
            while true {
                let outcome = try session.flush(budget: Self.flushBudget)
                if wroteSinceFlush {
                    wroteSinceFlush = false
                    context.flush()
                }
                switch outcome {
                case .idle: return
                case .finished:
                    context.close(promise: nil)
                    return
                case .budgetSpent:
                    // Writability comes back through channelWritabilityChanged.
                    if !context.channel.isWritable || session.isClosed { return }
                }
            }
        } catch {
            worker.logger.debug("HTTP/2 session error: \(error)")
            context.close(promise: nil)
        }
    }

    // MARK: Session events (overridden by each side)

    func session(_ s: HTTP2Session, beginHeadersOn streamID: Int32) {}
    func session(_ s: HTTP2Session, header name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                 on streamID: Int32) {}
    func session(_ s: HTTP2Session, headersCompleteOn streamID: Int32, endStream: Bool) {}
    func session(_ s: HTTP2Session, data: ByteBuffer, on streamID: Int32) {}
    func session(_ s: HTTP2Session, endStreamOn streamID: Int32) {}
    func session(_ s: HTTP2Session, streamClosed streamID: Int32, errorCode: UInt32) {}
    func session(_ s: HTTP2Session, goAwayLastStreamID: Int32, errorCode: UInt32) {}
    func sessionReceivedSettings(_ s: HTTP2Session) {}
    func session(_ s: HTTP2Session, beginFrame type: UInt8, on streamID: Int32) {}
    func session(_ s: HTTP2Session, controlFrame type: UInt8, on streamID: Int32) {}
    func session(_ s: HTTP2Session, peerReset streamID: Int32, errorCode: UInt32) {}
    func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk { .deferred }
    func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer? { nil }
    func sessionReceivedPingAck(_ s: HTTP2Session) { pingSentAt = nil }

    // MARK: Keepalive (both sides)

    /// From the worker's sweep: PINGs a connection quiet for `timing.interval`;
    /// true once a PING has gone unanswered for `timing.timeout` (the peer
    /// froze or vanished without closing), for the caller to close it.
    func keepaliveExpired(now: NIODeadline, _ timing: KeepaliveTiming) -> Bool {
        guard let session else { return false }
        if let sent = pingSentAt { return now - sent >= timing.timeout }
        if now - lastReadAt >= timing.interval {
            pingSentAt = now
            session.ping()
        }
        return false
    }
}
