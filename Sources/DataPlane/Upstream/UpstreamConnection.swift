// A connection to one backend: the client side of HTTP/2 (h2c, prior
// knowledge), carrying many RPCs at once up to the backend's
// MAX_CONCURRENT_STREAMS.
import CNGHTTP2
import NIOCore
import NIOPosix

final class UpstreamConnection: HTTP2Connection {
    enum State { case connecting, ready, draining, closed }

    private(set) var state = State.connecting
    /// Strong: a retired endpoint lives until its last connection closes.
    let endpoint: Endpoint
    private var streams: [Int32: UpstreamStream] = [:]
    /// RPCs waiting for the connection to come up.
    private var pending: [UpstreamStream] = []
    /// Headers being received per stream (response headers or trailers).
    private var incoming: [Int32: HeaderBlock] = [:]
    private var closeWhenDrained = false
    private var everConnected = false
    private var sawSettings = false

    override var role: HTTP2Session.Role { .client }
    override var parameters: HTTP2Parameters { worker.limits.upstreamHTTP2 }

    init(endpoint: Endpoint, worker: Worker) {
        self.endpoint = endpoint
        super.init(worker: worker)
    }

    var load: Int { streams.count + pending.count }

    /// Room for one more stream: the backend's advertised limit once known.
    var hasCapacity: Bool {
        switch state {
        // Before the backend's SETTINGS arrive, assume the limit it
        // advertised last time, so a burst spreads over new connections.
        case .connecting: return pending.count < endpoint.streamLimit
        case .ready: return load < (sawSettings ? max(session?.peerMaxConcurrentStreams ?? 1, 1) : endpoint.streamLimit)
        case .draining, .closed: return false
        }
    }

    /// Open or opening, and not going away.
    var acceptsStreams: Bool { state == .connecting || state == .ready }

    static func open(to endpoint: Endpoint, worker: Worker) -> UpstreamConnection {
        let connection = UpstreamConnection(endpoint: endpoint, worker: worker)
        let bound = NIOLoopBound(connection, eventLoop: worker.eventLoop)
        let timeout = endpoint.connectTimeout.map { TimeAmount.nanoseconds($0.nanoseconds) }
            ?? worker.limits.connectTimeout
        ClientBootstrap(group: worker.eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
            .connect(to: endpoint.socketAddress)
            .assumeIsolated()
            .whenFailure { error in
                connection.connectFailed(error)
            }
        return connection
    }

    // MARK: Lifecycle

    override func sessionStarted() {
        state = .ready
        everConnected = true
        endpoint.connected()
        let waiting = pending
        pending.removeAll()
        for stream in waiting { submit(stream) }
    }

    private func connectFailed(_ error: Error) {
        guard state == .connecting else { return }
        state = .closed
        worker.counters.upstreamConnectFailures += 1
        endpoint.connectFailed(self)
        let waiting = pending
        pending.removeAll()
        for stream in waiting {
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "upstream connect error to \(endpoint.name): \(error)")
        }
        worker.flushDirty()
    }

    override func connectionClosed() {
        let wasDraining = state == .draining
        state = .closed
        endpoint.connectionClosed(self, broken: everConnected && !wasDraining)
        let open = streams
        streams.removeAll()
        for stream in open.values { stream.upstreamClosed(errorCode: 0, connectionLost: true) }
        let waiting = pending
        pending.removeAll()
        for stream in waiting {
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "upstream connection to \(endpoint.name) closed")
        }
    }

    /// No new streams; close once the ones in flight are done.
    func closeWhenIdle() {
        if state == .ready || state == .connecting { state = .draining }
        closeWhenDrained = true
        if load == 0 { context?.close(promise: nil) }
    }

    // MARK: Streams

    func attach(_ stream: UpstreamStream) {
        switch state {
        case .connecting: pending.append(stream)
        case .ready: submit(stream)
        case .draining, .closed:
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "upstream connection to \(endpoint.name) is closing")
        }
    }

    private func submit(_ stream: UpstreamStream) {
        guard let session else { return }
        do {
            let id = try session.submitRequest(stream.request, hasBody: stream.requestHasBody,
                                               including: HopByHop.isForwardable)
            streams[id] = stream
            stream.submitted(on: self, id: id)
            worker.needsFlush(self)
        } catch {
            stream.attemptFailed(retryable: true, status: .unavailable,
                                 reason: "cannot open a stream to \(endpoint.name): \(error)")
        }
    }

    /// The stream was cancelled by its downstream side.
    func detach(_ stream: UpstreamStream, id: Int32) {
        if id != 0 {
            streams.removeValue(forKey: id)
        } else {
            pending.removeAll { $0 === stream }
        }
        if closeWhenDrained && load == 0 { context?.close(promise: nil) }
    }

    // MARK: Session events

    override func sessionReceivedSettings(_ s: HTTP2Session) {
        sawSettings = true
        endpoint.streamLimit = max(min(s.peerMaxConcurrentStreams, 1 << 20), 1)
    }

    override func session(_ s: HTTP2Session, goAwayLastStreamID: Int32, errorCode: UInt32) {
        // Streams above lastStreamID are closed by nghttp2 with REFUSED_STREAM
        // (and retried); the rest finish here. New RPCs open a new connection.
        if state == .ready { state = .draining }
        closeWhenDrained = true
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
            stream.upstreamClosed(errorCode: errorCode, connectionLost: false)
        }
        if closeWhenDrained && load == 0 { context?.close(promise: nil) }
    }

    override func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk {
        streams[streamID]?.requestChunk(max: max) ?? .deferred
    }

    override func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer {
        streams[streamID]?.takeRequestBytes(count) ?? ByteBuffer(repeating: 0, count: count)
    }
}
