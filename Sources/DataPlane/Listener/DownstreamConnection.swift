// A client connection: the server side of HTTP/2. Each request is checked,
// routed by its gRPC service, and handed to a ProxyStream.
import CNGHTTP2
import Logging
import NIOCore

final class DownstreamConnection: HTTP2Connection {
    /// Headers of streams being opened (until END_HEADERS).
    private var incoming: [Int32: HeaderBlock] = [:]
    /// Request trailers being received.
    private var incomingTrailers: [Int32: HeaderBlock] = [:]
    private var streams: [Int32: ProxyStream] = [:]
    /// Bodies of plain HTTP error responses the proxy makes itself.
    private var localBodies: [Int32: BodyQueue] = [:]
    private(set) var goingAway = false
    /// XFCC value of the verified client certificate (mTLS), added to every
    /// request; set once the TLS handshake is done.
    var forwardedClientCertificate: String?
    /// Max-age and GOAWAY timers (ConnectionLifetime.swift).
    var lifetime = ConnectionLifetime()
    private var guarded: ConnectionGuard
    /// Streams whose request headers passed `http2.maxHeaderListSize`.
    private var oversized: Set<Int32> = []
    private var calmedDown = false
    private var quietSweeps = 0
    /// Bytes held for this client (BufferBudget.swift).
    var heldBytes = 0
    /// WINDOW_UPDATE frames received (judged against DATA frames sent).
    private var windowUpdates = 0

    override init(worker: Worker) {
        self.guarded = ConnectionGuard(limits: worker.limits.guarded, now: worker.now)
        super.init(worker: worker)
    }

    override var role: HTTP2Session.Role { .server }
    override var parameters: HTTP2Parameters { worker.limits.downstreamHTTP2 }

    var activeStreams: Int { streams.count }

    override func sessionStarted() {
        worker.downstreams[ObjectIdentifier(self)] = self
        worker.counters.downstreamConnections += 1
        worker.counters.downstreamConnectionsTotal += 1
        startLifetime()
    }

    override func connectionClosed() {
        if worker.downstreams.removeValue(forKey: ObjectIdentifier(self)) != nil {
            worker.counters.downstreamConnections -= 1
        }
        lifetime.cancel()
        let open = streams
        streams.removeAll()
        for s in open.values { s.downstreamClosed(errorCode: NGHTTP2_CANCEL.rawValue) }
        incoming.removeAll()
        localBodies.removeAll()
    }

    override func receiveFailed(_ error: HTTP2SessionError, input: ByteBuffer) {
        guard let context else { return }
        if case .flooded(let what) = error {
            // nghttp2 gave up on the session: say why in a GOAWAY of our own.
            worker.countLimit("flood")
            worker.logger.notice("closing client connection: \(what)", metadata: peerMetadata)
            let lastID = session?.lastProcessedStreamID ?? 0
            session?.close()
            context.writeAndFlush(wrapOutboundOut(HTTP2Session.goAwayFrame(
                lastStreamID: lastID, errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue,
                allocator: context.channel.allocator))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        worker.counters.protocolErrors += 1
        if case .badClientMagic = error, !Self.looksLikeHTTP1(input) {
            // Not HTTP at all: the preface is wrong (RFC 9113 §3.4).
            worker.logger.debug("closing client connection: invalid HTTP/2 connection preface", metadata: peerMetadata)
            session?.close()
            // The server preface (an empty SETTINGS) must be the first frame
            // the server sends (RFC 9113 §3.4), even before a GOAWAY.
            var out = context.channel.allocator.buffer(capacity: 26)
            out.writeBytes([0, 0, 0, 0x4, 0, 0, 0, 0, 0])
            var goAway = HTTP2Session.goAwayFrame(lastStreamID: 0, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue,
                                                  allocator: context.channel.allocator)
            out.writeBuffer(&goAway)
            context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if case .badClientMagic = error {
            // Most likely HTTP/1.1 (curl, a browser, a health checker): answer
            // in its own protocol instead of dropping the connection.
            let body = "portico: this port speaks HTTP/2 (gRPC) only\n"
            var out = context.channel.allocator.buffer(capacity: 160)
            out.writeString("HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: text/plain\r\n" +
                            "connection: close\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")
            session?.close()
            context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        worker.logger.debug("closing downstream connection: \(error)")
        // nghttp2 has queued a GOAWAY for most protocol errors: send it, then close.
        flushSession()
        context.close(promise: nil)
    }

    /// The first bytes are an HTTP/1.x request line (`METHOD SP target SP HTTP/1.`).
    /// A line cut short by the read counts when its method so far is letters.
    static func looksLikeHTTP1(_ input: ByteBuffer) -> Bool {
        let (line, complete) = input.withUnsafeReadableBytes { bytes -> ([UInt8], Bool) in
            let line = Array(bytes.prefix(while: { $0 != 0x0D && $0 != 0x0A }).prefix(8192))
            return (line, line.count < bytes.count)
        }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        if !complete {
            return !line.isEmpty && parts[0].allSatisfy({ $0 >= 0x41 && $0 <= 0x5A })
        }
        guard parts.count == 3, !parts[0].isEmpty,
              parts[0].allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return false }
        return parts[2].starts(with: Array("HTTP/1.".utf8))
    }

    private var peerMetadata: Logger.Metadata { ["peer": "\(peerDescription)"] }

    var peerDescription: String { context?.channel.remoteAddress?.description ?? "?" }

    /// The stream holding the most bytes, if any holds some.
    func largestHolder() -> ProxyStream? {
        var best: ProxyStream?
        for s in streams.values where s.held > (best?.held ?? 0) { best = s }
        return best
    }

    /// Cuts the connection for a broken limit: GOAWAY with the verdict's
    /// code, then close. Idle connections get a graceful GOAWAY instead.
    private func enforce(_ verdict: AbuseVerdict) {
        guard !calmedDown, let session else { return }
        switch verdict {
        case .rapidReset: worker.countLimit("rapid_reset")
        case .controlFrameFlood: worker.countLimit("control_frames")
        case .prefaceTimeout: worker.countLimit("preface_timeout")
        case .headersTimeout: worker.countLimit("request_headers_timeout")
        case .idle: worker.countLimit("idle_timeout")
        }
        if verdict == .idle {
            worker.logger.debug("closing idle client connection", metadata: peerMetadata)
            goAway()
            return
        }
        calmedDown = true
        worker.logger.notice("closing client connection: \(verdict.reason)", metadata: peerMetadata)
        // At once (enforce runs in this session's own callbacks or the
        // sweep): nghttp2 must not go on to apply a limit of its own.
        session.terminate(errorCode: verdict.errorCode)
    }

    /// Called by the worker's sweep with its coarse clock.
    func sweep(now: NIODeadline) {
        if let verdict = guarded.overdue(now: now) {
            enforce(verdict)
            // A peer that does not read may never take the GOAWAY: send what
            // the socket takes, then close.
            if verdict != .idle {
                flushSession()
                context?.close(promise: nil)
            }
        }
        if let k = worker.limits.clientKeepalive { keepaliveSweep(now: now, k) }
        // After GOAWAY with nothing left in flight, a client gets one more
        // sweep to close by itself.
        if goingAway && streams.isEmpty {
            if quietSweeps >= 1 { context?.close(promise: nil) }
            quietSweeps += 1
        }
    }

    /// Optional PING keepalive of idle clients: one that stopped answering
    /// (a phone that lost its network) is closed after the timeout.
    private func keepaliveSweep(now: NIODeadline, _ k: KeepaliveTiming) {
        guard keepaliveExpired(now: now, k) else { return }
        worker.counters.clientKeepaliveCloses += 1
        worker.logger.debug("closing a client connection: no PING acknowledgement", metadata: peerMetadata)
        context?.close(promise: nil)
    }

    /// Sends GOAWAY: streams already open finish, new ones are refused.
    func goAway() {
        guard !goingAway, let session else { return }
        goingAway = true
        session.goAway()
    }

    // MARK: Abuse accounting

    override func sessionReceivedSettings(_ s: HTTP2Session) { guarded.settingsReceived() }

    override func session(_ s: HTTP2Session, beginFrame type: UInt8, on streamID: Int32) {
        guarded.frameBegan(type, now: worker.now)
        // PRIORITY frames are counted as they begin: with RFC 7540
        // priorities off, nghttp2 drops them without a frame callback.
        if type == UInt8(NGHTTP2_PRIORITY.rawValue), let verdict = guarded.controlFrame(now: worker.now) {
            enforce(verdict)
        }
    }

    override func session(_ s: HTTP2Session, controlFrame type: UInt8, on streamID: Int32) {
        if type == UInt8(NGHTTP2_WINDOW_UPDATE.rawValue) {
            // Clients answer the proxy's DATA with WINDOW_UPDATEs (grpcio
            // sends two per unary call): only those beyond 10 per DATA frame
            // sent count as a flood, as Envoy judges them.
            windowUpdates &+= 1
            if windowUpdates <= 100 + 10 * s.dataFramesSent { return }
        }
        if let verdict = guarded.controlFrame(now: worker.now) { enforce(verdict) }
    }

    override func session(_ s: HTTP2Session, peerReset streamID: Int32, errorCode: UInt32) {
        if let verdict = guarded.streamReset(now: worker.now) { enforce(verdict) }
    }

    // MARK: Request headers

    override func session(_ s: HTTP2Session, beginHeadersOn streamID: Int32) {
        if streams[streamID] != nil {
            incomingTrailers[streamID] = HeaderBlock()
        } else {
            incoming[streamID] = HeaderBlock()
        }
    }

    override func session(_ s: HTTP2Session, header name: UnsafeRawBufferPointer,
                          value: UnsafeRawBufferPointer, on streamID: Int32) {
        // Only the proxy vouches for client certificates: a client's own copy is dropped.
        if ForwardedClientCertificate.isHeader(name) { return }
        let limit = Int(parameters.maxHeaderListSize)
        let size = name.count + value.count + 32
        if incoming[streamID] != nil {
            // Past the limit the rest of the block is decoded (HPACK needs
            // it) but not kept.
            if incoming[streamID]!.listSize + size > limit { oversized.insert(streamID); return }
            incoming[streamID]!.append(name: name, value: value)
        } else if incomingTrailers[streamID] != nil {
            if incomingTrailers[streamID]!.listSize + size > limit { oversized.insert(streamID); return }
            incomingTrailers[streamID]!.append(name: name, value: value)
        }
    }

    override func session(_ s: HTTP2Session, headersCompleteOn streamID: Int32, endStream: Bool) {
        guarded.headerBlockEnded()
        if var headers = incoming.removeValue(forKey: streamID) {
            if calmedDown { return }
            guarded.streamOpened(now: worker.now)
            if oversized.remove(streamID) != nil {
                worker.counters.oversizedHeaders += 1
                s.submitResponse(ProxyResponses.trailersOnly(.resourceExhausted,
                                 "request headers exceed the proxy's limit of \(parameters.maxHeaderListSize) bytes"),
                                 on: streamID, hasBody: false)
                return
            }
            if let xfcc = forwardedClientCertificate {
                headers.append(name: ForwardedClientCertificate.headerName, value: xfcc)
            }
            handleRequest(streamID, headers, endStream: endStream)
        } else if let trailers = incomingTrailers.removeValue(forKey: streamID) {
            if oversized.remove(streamID) != nil {
                // The request may already be at the backend: not
                // REFUSED_STREAM, which would tell the client a retry is safe.
                worker.counters.oversizedHeaders += 1
                streams[streamID]?.fail(.resourceExhausted,
                    "request trailers exceed the proxy's limit of \(parameters.maxHeaderListSize) bytes")
                return
            }
            streams[streamID]?.downstreamEnded(trailers: trailers)
        }
    }

    private func handleRequest(_ id: Int32, _ headers: HeaderBlock, endStream: Bool) {
        guard let session else { return }
        worker.counters.downstreamRPCs += 1
        switch worker.routes.decide(headers) {
        case .httpError(let status, let text):
            respondHTTP(id, status: status, text)
        case .grpcStatus(let code, let message):
            session.submitResponse(ProxyResponses.trailersOnly(code, message), on: id, hasBody: false)
        case .proxy(let cluster, let hashKey, let timeout):
            let stream = ProxyStream(downstream: self, id: id, request: headers, cluster: cluster, hashKey: hashKey)
            if endStream { stream.requestBody.ended = true }
            streams[id] = stream
            stream.start(timeout: timeout)
        }
    }

    private func respondHTTP(_ id: Int32, status: Int, _ text: String) {
        worker.counters.httpErrors += 1
        var body = BodyQueue()
        var buffer = ByteBuffer()
        buffer.writeString(text)
        body.append(buffer)
        body.ended = true
        localBodies[id] = body
        let headers = HeaderBlock([(":status", String(status)), ("content-type", "text/plain; charset=utf-8"),
                                   ("content-length", String(text.utf8.count))])
        session?.submitResponse(headers, on: id, hasBody: true)
    }

    // MARK: Request body

    override func session(_ s: HTTP2Session, data: ByteBuffer, on streamID: Int32) {
        if let stream = streams[streamID] {
            stream.downstreamData(data)
        } else {
            s.consume(data.readableBytes, on: streamID)
        }
    }

    override func session(_ s: HTTP2Session, endStreamOn streamID: Int32) {
        streams[streamID]?.downstreamEnded(trailers: nil)
    }

    override func session(_ s: HTTP2Session, streamClosed streamID: Int32, errorCode: UInt32) {
        incoming.removeValue(forKey: streamID)
        incomingTrailers.removeValue(forKey: streamID)
        localBodies.removeValue(forKey: streamID)
        if !oversized.isEmpty { oversized.remove(streamID) }
        if let stream = streams.removeValue(forKey: streamID) {
            stream.downstreamClosed(errorCode: errorCode)
            if worker.limits.accessLog { AccessLog.write(stream, resetCode: errorCode) }
        }
        if streams.isEmpty { guarded.allStreamsClosed(now: worker.now) }
        if goingAway && streams.isEmpty { worker.needsFlush(self) }
    }

    // MARK: Response body

    override func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk {
        if let stream = streams[streamID] { return stream.responseChunk(max: max) }
        if let body = localBodies[streamID] { return body.nextChunk(max: max) }
        return .last(0, trailers: nil)
    }

    override func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer? {
        if let stream = streams[streamID] { return stream.takeResponseBytes(count) }
        if localBodies[streamID] != nil { return localBodies[streamID]!.take(count) }
        return nil
    }
}
