// A connection to one backend: the client side of HTTP/2 (h2c, prior
// knowledge), carrying many RPCs at once up to the backend's
// MAX_CONCURRENT_STREAMS. RPCs beyond that wait in the connection's own
// queue (counted by the circuit breakers), never inside nghttp2.
import CNGHTTP2
import NIOCore
import NIOPosix

/// Who a connection works for: an endpoint's pool, or a health prober.
protocol UpstreamConnectionOwner: AnyObject {
    var name: String { get }
    var socketAddress: SocketAddress { get }
    var connectTimeout: ConfigDuration? { get }
    /// The backend's SETTINGS_MAX_CONCURRENT_STREAMS as last seen.
    var streamLimit: Int { get set }
    func connected(_ c: UpstreamConnection)
    func connectFailed(_ c: UpstreamConnection, error: Error)
    /// `broken`: it had been up and went away without a GOAWAY of ours.
    func connectionClosed(_ c: UpstreamConnection, broken: Bool)
    /// RPCs waiting for a stream slot changed by `delta` (circuit breakers).
    func pendingChanged(by delta: Int)
}

final class UpstreamConnection: HTTP2Connection {
    enum State { case connecting, ready, draining, closed }

    private(set) var state = State.connecting
    /// Strong: a retired endpoint lives until its last connection closes.
    let owner: UpstreamConnectionOwner
    private var streams: [Int32: UpstreamStream] = [:]
    /// RPCs waiting to be submitted, in arrival order; `waits`: counted as
    /// pending (they arrived while the connection could not take them).
    private var pending: [(stream: UpstreamStream, waits: Bool)] = []
    /// Headers being received per stream (response headers or trailers).
    private var incoming: [Int32: HeaderBlock] = [:]
    private var closeWhenDrained = false
    private var everConnected = false
    private var sawSettings = false
    /// Streams opened on this connection, for `maxRequestsPerConnection`.
    private(set) var streamsOpened = 0
    /// Closed by the proxy because the backend stopped answering.
    private var frozen = false

    override var role: HTTP2Session.Role { .client }
    override var parameters: HTTP2Parameters { worker.limits.upstreamHTTP2 }

    init(owner: UpstreamConnectionOwner, worker: Worker) {
        self.owner = owner
        super.init(worker: worker)
    }

    var load: Int { streams.count + pending.count }

    /// The most streams at once: the backend's advertised limit once known,
    /// else what it advertised last time (so a burst spreads over new
    /// connections before the first SETTINGS).
    private var streamCapacity: Int {
        sawSettings ? max(min(session?.peerMaxConcurrentStreams ?? 1, 1 << 20), 1) : owner.streamLimit
    }

    /// Room for one more stream.
    var hasCapacity: Bool {
        switch state {
        case .connecting, .ready: return load < streamCapacity && !retiring
        case .draining, .closed: return false
        }
    }

    /// Open or opening, and not going away.
    var acceptsStreams: Bool { (state == .connecting || state == .ready) && !retiring }

    /// Reached `maxRequestsPerConnection`: takes no new RPCs, closes when idle.
    private var retiring: Bool { streamsOpened + pending.count >= worker.limits.maxRequestsPerConnection }

    static func open(for owner: UpstreamConnectionOwner, worker: Worker) -> UpstreamConnection {
        let connection = UpstreamConnection(owner: owner, worker: worker)
        let bound = NIOLoopBound(connection, eventLoop: worker.eventLoop)
        let timeout = owner.connectTimeout.map { TimeAmount.nanoseconds($0.nanoseconds) }
            ?? worker.limits.connectTimeout
        let tcp = worker.limits.tcp
        worker.upstreams[ObjectIdentifier(connection)] = connection
        ClientBootstrap(group: worker.eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tcp.apply(to: channel)
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
            .connect(to: owner.socketAddress)
            .assumeIsolated()
            .whenFailure { error in
                // A socket that cannot even be created (EMFILE) fails at
                // once, inside this call: handle it on the next turn, once
                // the owner holds the connection and can let it go.
                worker.eventLoop.assumeIsolated().execute {
                    connection.connectFailed(error)
                }
            }
        return connection
    }

    // MARK: Lifecycle

    override func sessionStarted() {
        state = .ready
        everConnected = true
        worker.needsFlush(self)
    }

    /// The socket could not be created or connected (EMFILE, refused,
    /// timeout): the connection leaves its pool and its RPCs go elsewhere.
    private func connectFailed(_ error: Error) {
        guard state == .connecting else { return }
        state = .closed
        worker.upstreams.removeValue(forKey: ObjectIdentifier(self))
        worker.counters.upstreamConnectFailures += 1
        owner.connectFailed(self, error: error)
        failPending(reason: "upstream connect error to \(owner.name): \(error)")
        worker.flushDirty()
    }

    override func connectionClosed() {
        let wasDraining = state == .draining || closeWhenDrained
        state = .closed
        worker.upstreams.removeValue(forKey: ObjectIdentifier(self))
        owner.connectionClosed(self, broken: everConnected && !wasDraining)
        let open = streams
        streams.removeAll()
        for stream in open.values { stream.upstreamClosed(errorCode: 0, connectionLost: true, frozen: frozen) }
        failPending(reason: "upstream connection to \(owner.name) closed")
    }

    private func failPending(reason: String) {
        let waiting = pending
        pending.removeAll()
        for p in waiting {
            if p.waits { owner.pendingChanged(by: -1) }
            p.stream.attemptFailed(retryable: true, status: .unavailable, reason: reason)
        }
    }

    /// No new streams; close once the ones in flight are done.
    func closeWhenIdle() {
        if state == .ready || state == .connecting { state = .draining }
        closeWhenDrained = true
        if load == 0 { context?.close(promise: nil) }
    }

    /// Closes at once (keepalive timeout, a probe that timed out): every RPC
    /// on it fails (and is retried where nothing went downstream yet).
    func abort(_ why: String) {
        frozen = true
        worker.logger.notice("closing upstream connection to \(owner.name): \(why)")
        context?.close(promise: nil)
    }

    // MARK: Streams

    func attach(_ stream: UpstreamStream) {
        switch state {
        case .connecting, .ready:
            let waits = wouldQueue
            if waits { owner.pendingChanged(by: 1) }
            pending.append((stream, waits))
            worker.needsFlush(self)
        case .draining, .closed:
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "upstream connection to \(owner.name) is closing")
        }
    }

    /// Whether an RPC attached now would wait (connecting, or no free stream).
    var wouldQueue: Bool { state == .connecting || streams.count + pending.count >= streamCapacity }

    /// Submits waiting RPCs while the backend has streams free; from the
    /// connection's own flush, so no other session's callback is on the stack.
    override func willFlush(_ session: HTTP2Session) {
        guard state == .ready else { return }
        while !pending.isEmpty, streams.count < streamCapacity {
            let (stream, waits) = pending.removeFirst()
            if waits { owner.pendingChanged(by: -1) }
            submit(stream, session)
            if state != .ready { break }
        }
    }

    private func submit(_ stream: UpstreamStream, _ session: HTTP2Session) {
        do {
            guard session.streamIDsLeft > 0 else { throw UpstreamError("stream IDs exhausted") }
            let id = try session.submitRequest(stream.request, hasBody: stream.requestHasBody,
                                               including: HopByHop.isForwardable)
            streams[id] = stream
            streamsOpened += 1
            stream.submitted(on: self, id: id)
            if retiring {
                // Rotation: the backend sees a graceful end of this connection.
                worker.counters.upstreamRotations += 1
                closeWhenIdle()
            }
        } catch {
            // Whatever nghttp2 refused, this connection takes no more streams.
            worker.logger.notice("upstream connection to \(owner.name) cannot open streams (\(error)); draining it")
            closeWhenIdle()
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "cannot open a stream to \(owner.name): \(error)")
        }
    }

    /// The stream was cancelled by its downstream side.
    func detach(_ stream: UpstreamStream, id: Int32) {
        if id != 0 {
            streams.removeValue(forKey: id)
        } else if let i = pending.firstIndex(where: { $0.stream === stream }) {
            if pending[i].waits { owner.pendingChanged(by: -1) }
            pending.remove(at: i)
        }
        if closeWhenDrained && load == 0 { context?.close(promise: nil) }
    }

    // MARK: Keepalive

    /// From the worker's sweep: a backend that stopped answering PINGs is
    /// closed, and its unanswered RPCs go elsewhere (`abort`).
    func keepaliveSweep(now: NIODeadline, _ timing: KeepaliveTiming) {
        guard state == .ready || state == .draining else { return }
        if keepaliveExpired(now: now, timing) {
            worker.counters.keepaliveCloses += 1
            abort("no PING acknowledgement within \(ProxyStream.describe(timing.timeout))")
        }
    }

    // MARK: Session events

    override func sessionReceivedSettings(_ s: HTTP2Session) {
        let first = !sawSettings
        sawSettings = true
        owner.streamLimit = max(min(s.peerMaxConcurrentStreams, 1 << 20), 1)
        // The backend's SETTINGS, not the TCP handshake, show it is alive:
        // a frozen process's kernel still accepts connections.
        if first { owner.connected(self) }
    }

    override func session(_ s: HTTP2Session, goAwayLastStreamID: Int32, errorCode: UInt32) {
        // Streams above lastStreamID are closed by nghttp2 with REFUSED_STREAM
        // (and retried); the rest finish here. New RPCs open a new connection.
        if state == .ready { state = .draining }
        closeWhenDrained = true
        let waiting = pending
        pending.removeAll()
        for p in waiting {
            if p.waits { owner.pendingChanged(by: -1) }
            p.stream.attemptFailed(retryable: true, status: .unavailable,
                                   reason: "upstream \(owner.name) is going away")
        }
    }

    override func session(_ s: HTTP2Session, beginHeadersOn streamID: Int32) {
        incoming[streamID] = HeaderBlock()
    }

    override func session(_ s: HTTP2Session, header name: UnsafeRawBufferPointer,
                          value: UnsafeRawBufferPointer, on streamID: Int32) {
        if incoming[streamID] != nil { incoming[streamID]!.append(name: name, value: value) }
    }

    override func session(_ s: HTTP2Session, headersCompleteOn streamID: Int32, endStream: Bool) {
        guard let headers = incoming.removeValue(forKey: streamID), let stream = streams[streamID] else { return }
        if stream.upstreamAnswered {
            stream.upstreamTrailers(headers)
        } else {
            // 1xx informational responses are not forwarded.
            if let i = headers.index(of: ":status"), headers.value(at: i, hasPrefix: "1") { return }
            stream.upstreamHeaders(headers, endStream: endStream)
        }
    }

    override func session(_ s: HTTP2Session, data: ByteBuffer, on streamID: Int32) {
        if let stream = streams[streamID] {
            stream.upstreamData(data)
        } else {
            s.consume(data.readableBytes, on: streamID)
        }
    }

    override func session(_ s: HTTP2Session, endStreamOn streamID: Int32) {
        streams[streamID]?.upstreamEnded()
    }

    override func session(_ s: HTTP2Session, streamClosed streamID: Int32, errorCode: UInt32) {
        incoming.removeValue(forKey: streamID)
        if let stream = streams.removeValue(forKey: streamID) {
            stream.upstreamClosed(errorCode: errorCode, connectionLost: false, frozen: false)
        }
        if closeWhenDrained && load == 0 { context?.close(promise: nil) }
    }

    override func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk {
        streams[streamID]?.requestChunk(max: max) ?? .deferred
    }

    override func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer? {
        streams[streamID]?.takeRequestBytes(count)
    }
}

/// A failure the proxy itself detects on an upstream connection.
struct UpstreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
