// One RPC in flight: a downstream stream paired with an upstream attempt,
// the two body queues between them, retries and the deadline.
import CNGHTTP2
import NIOCore

final class ProxyStream {
    unowned let downstream: DownstreamConnection
    let downstreamID: Int32
    let request: HeaderBlock
    let cluster: Cluster
    let hashKey: UInt64?
    /// When the RPC arrived, for the latency histogram and the access log.
    let startedAt: NIODeadline
    /// From `startedAt` to the end of the downstream stream, once it ended.
    private(set) var durationNanoseconds: Int64 = 0

    /// Request body: downstream → upstream.
    var requestBody = BodyQueue()
    /// Response body: upstream → downstream.
    var responseBody = BodyQueue()

    private(set) var upstream: UpstreamConnection?
    private(set) var upstreamID: Int32 = 0
    private(set) var endpoint: Endpoint?
    private var tried: [Endpoint] = []

    /// Request bytes already sent upstream, kept so a refused attempt can be
    /// replayed on another endpoint; nil once that is no longer possible.
    private var replay: [ByteBuffer]? = []
    private(set) var replayBytes = 0
    /// Bytes at the head of `requestBody` whose window was already re-opened
    /// downstream (replayed data must not be counted twice).
    private var replayCredit = 0

    private(set) var responseStarted = false
    private(set) var upstreamAnswered = false
    private(set) var finished = false
    /// Bytes this RPC holds (both queues and the replay copy), as charged to
    /// its client connection and the worker (BufferBudget.swift).
    var held = 0
    /// Where the response bytes sent so far end within gRPC's framing: a
    /// status may follow them only at a message boundary.
    private var sentFrames = GRPCFraming()
    /// Counted in the cluster's `activeRPCs` (circuit breaker).
    private var countedActive = false
    private var deadline: Scheduled<Void>?
    var grpcStatus: String?
    var responseBytes = 0
    var requestBytes = 0
    private(set) var lastEndpointName: String?

    init(downstream: DownstreamConnection, id: Int32, request: HeaderBlock, cluster: Cluster, hashKey: UInt64?) {
        self.downstream = downstream
        self.downstreamID = id
        self.request = request
        self.cluster = cluster
        self.hashKey = hashKey
        self.startedAt = .now()
    }

    var worker: Worker { downstream.worker }

    // MARK: Start and attempts

    func start(timeout: TimeAmount?) {
        cluster.stats.rpcs += 1
        if let overflow = cluster.requestOverflow {
            fail(.unavailable, overflow)
            return
        }
        cluster.activeRPCs += 1
        countedActive = true
        if let timeout {
            deadline = worker.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                guard let self else { return }
                self.fail(.deadlineExceeded, "deadline exceeded after \(Self.describe(timeout)) (portico)",
                          resetCode: NGHTTP2_CANCEL.rawValue)
                self.worker.flushDirty()
            }
        }
        attempt()
    }

    private func attempt() {
        guard !finished else { return }
        guard let e = cluster.pick(excluding: tried, hashKey: hashKey) else {
            let reason = tried.isEmpty
                ? cluster.unavailableReason
                : "upstream connect error or refused stream in cluster \"\(cluster.config.name)\" after \(tried.count) attempt(s); last: \(tried.last!.name)"
            fail(.unavailable, reason)
            return
        }
        let c = e.connectionForNewStream(worker: worker)
        if c.wouldQueue, let overflow = cluster.pendingOverflow {
            fail(.unavailable, overflow)
            return
        }
        if !tried.isEmpty {
            cluster.stats.retries += 1
            worker.counters.retries += 1
        }
        tried.append(e)
        endpoint = e
        lastEndpointName = e.name
        e.activeRPCs += 1
        e.totalRPCs += 1
        upstream = c
        c.attach(self)
    }

    /// The upstream connection submitted our request as `id`.
    func submitted(on connection: UpstreamConnection, id: Int32) {
        upstreamID = id
    }

    /// Whether the request has a body to send (false only for a HEADERS
    /// frame that ended the stream).
    var requestHasBody: Bool { !(requestBody.ended && requestBody.isEmpty && requestBody.trailers == nil) }

    /// The attempt failed before the upstream answered. Retry elsewhere when
    /// `retryable` and the request can be replayed, else fail the RPC.
    func attemptFailed(retryable: Bool, status: GRPCStatusCode, reason: String) {
        endAttempt(failed: true)
        guard !finished else { return }
        if retryable, !upstreamAnswered, let replayed = replay {
            requestBody.prepend(replayed)
            replayCredit += replayBytes
            replay = []
            replayBytes = 0
            recount()
            attempt()
            return
        }
        fail(status, reason)
    }

    private func endAttempt(failed: Bool) {
        if let e = endpoint {
            e.activeRPCs -= 1
            if failed { e.failedRPCs += 1 }
        }
        endpoint = nil
        upstream = nil
        upstreamID = 0
    }

    // MARK: Downstream events

    func downstreamData(_ data: ByteBuffer) {
        if finished || upstreamIsGoneForGood {
            downstream.session?.consume(data.readableBytes, on: downstreamID)
            return
        }
        requestBytes += data.readableBytes
        requestBody.append(data)
        recount()
        wakeUpstream()
    }

    func downstreamEnded(trailers: HeaderBlock?) {
        requestBody.ended = true
        if let trailers { requestBody.trailers = trailers }
        wakeUpstream()
    }

    /// The downstream stream closed (completed, or reset by the client).
    func downstreamClosed(errorCode: UInt32) {
        deadline?.cancel()
        deadline = nil
        if !finished {
            finished = true
            cancelUpstream()
        }
        if countedActive {
            countedActive = false
            cluster.activeRPCs -= 1
        }
        // The stream is gone: its window no longer matters, its bytes go.
        replayCredit = 0
        _ = requestBody.discard()
        _ = responseBody.discard()
        replay = nil
        replayBytes = 0
        recount()
        durationNanoseconds = (NIODeadline.now() - startedAt).nanoseconds
        // A client that reset the stream before any status saw CANCELLED.
        let slot = grpcStatus == nil && errorCode != 0
            ? GRPCStatusCode.cancelled.rawValue : GRPCStatusCounts.slot(grpcStatus)
        cluster.stats.finished(status: slot, nanoseconds: durationNanoseconds)
    }

    private var upstreamIsGoneForGood: Bool { upstreamAnswered && upstream == nil }

    private func wakeUpstream() {
        guard let u = upstream, upstreamID != 0, let s = u.session else { return }
        s.resumeData(upstreamID)
    }

    // MARK: Upstream side: the request body source

    func requestChunk(max: Int) -> BodyChunk { requestBody.nextChunk(max: max) }

    func takeRequestBytes(_ count: Int) -> ByteBuffer {
        let chunk = requestBody.take(count)
        if replay != nil {
            if replayBytes + count <= worker.limits.retryBufferLimit {
                replay!.append(chunk)
                replayBytes += count
            } else {
                replay = nil
                replayBytes = 0
            }
        }
        // Re-open the downstream window only for bytes not already credited.
        let credited = min(replayCredit, count)
        replayCredit -= credited
        if count - credited > 0, let s = downstream.session {
            s.consume(count - credited, on: downstreamID)
        }
        recount()
        return chunk
    }

    // MARK: Upstream events

    func upstreamHeaders(_ headers: HeaderBlock, endStream: Bool) {
        upstreamAnswered = true
        replay = nil
        replayBytes = 0
        recount()
        guard !finished, let s = downstream.session else { return }
        responseStarted = true
        if endStream {
            grpcStatus = headers.value(of: "grpc-status")
            responseBody.ended = true
            s.submitResponse(headers, on: downstreamID, hasBody: false, forwarded: true)
        } else {
            s.submitResponse(headers, on: downstreamID, hasBody: true, forwarded: true)
        }
    }

    func upstreamData(_ data: ByteBuffer) {
        guard !finished else {
            upstream?.session?.consume(data.readableBytes, on: upstreamID)
            return
        }
        responseBytes += data.readableBytes
        responseBody.append(data)
        recount()
        wakeDownstream()
    }

    func upstreamTrailers(_ trailers: HeaderBlock) {
        grpcStatus = trailers.value(of: "grpc-status")
        responseBody.trailers = trailers
        responseBody.ended = true
        wakeDownstream()
    }

    func upstreamEnded() {
        responseBody.ended = true
        wakeDownstream()
    }

    /// The upstream stream closed; `errorCode` is its RST_STREAM code or 0.
    func upstreamClosed(errorCode: UInt32, connectionLost: Bool, frozen: Bool) {
        let complete = responseBody.ended
        if complete && errorCode == 0 {
            endpoint?.recordResponse(unavailable: grpcStatus == "14")
            endAttempt(failed: false)
            return
        }
        let name = endpoint?.name ?? "?"
        if connectionLost {
            attemptFailed(retryable: frozen, status: .unavailable,
                          reason: frozen
                              ? "upstream \(name) in cluster \"\(cluster.config.name)\" stopped answering (keepalive timeout)"
                              : "upstream connection to \(name) in cluster \"\(cluster.config.name)\" was lost")
        } else if errorCode == NGHTTP2_REFUSED_STREAM.rawValue {
            attemptFailed(retryable: true, status: .unavailable,
                          reason: "upstream \(name) refused the stream")
        } else if complete {
            endpoint?.recordResponse(unavailable: grpcStatus == "14")
            endAttempt(failed: false)
        } else {
            endpoint?.recordFailure("stream reset (HTTP/2 error \(errorCode))")
            attemptFailed(retryable: false, status: ProxyResponses.status(forResetCode: errorCode),
                          reason: "upstream \(name) reset the stream (HTTP/2 error \(errorCode))")
        }
    }

    private func wakeDownstream() {
        guard let s = downstream.session, responseStarted, !finished || responseBody.trailers != nil else { return }
        s.resumeData(downstreamID)
    }

    // MARK: Downstream side: the response body source

    func responseChunk(max: Int) -> BodyChunk { responseBody.nextChunk(max: max) }

    func takeResponseBytes(_ count: Int) -> ByteBuffer {
        let chunk = responseBody.take(count)
        sentFrames.advance(over: chunk)
        if let u = upstream, upstreamID != 0, let s = u.session {
            s.consume(count, on: upstreamID)
        }
        recount()
        return chunk
    }

    // MARK: Ending

    /// Ends the RPC with a status of the proxy's own and cancels upstream.
    /// After the response started, the status goes in trailers only where
    /// the bytes sent end on a message boundary; otherwise the stream is
    /// reset (`resetCode`), so the client never sees half a message.
    func fail(_ code: GRPCStatusCode, _ message: String, resetCode: UInt32 = NGHTTP2_INTERNAL_ERROR.rawValue) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        deadline = nil
        cancelUpstream()
        grpcStatus = String(code.rawValue)
        guard let s = downstream.session else { return }
        if !responseStarted {
            responseStarted = true
            responseBody.ended = true
            s.submitResponse(ProxyResponses.trailersOnly(code, message), on: downstreamID, hasBody: false)
        } else if !responseBody.ended || responseBody.trailers == nil {
            _ = responseBody.discard()
            responseBody.ended = true
            if sentFrames.atBoundary {
                responseBody.trailers = ProxyResponses.trailers(code, message)
                s.resumeData(downstreamID)
            } else {
                s.resetStream(downstreamID, errorCode: resetCode)
            }
        }
        recount()
    }

    /// Reset for holding more than the buffer budget allows: both sides
    /// are told (the client with ENHANCE_YOUR_CALM, which it reads as
    /// RESOURCE_EXHAUSTED) and every byte held is dropped.
    func resetForMemory() {
        let wasFinished = finished
        finished = true
        deadline?.cancel()
        deadline = nil
        if !wasFinished { cancelUpstream() }
        grpcStatus = String(GRPCStatusCode.resourceExhausted.rawValue)
        downstream.session?.resetStream(downstreamID, errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        _ = requestBody.discard()
        _ = responseBody.discard()
        responseBody.ended = true
        replay = nil
        replayBytes = 0
        recount()
    }

    /// Resets the upstream stream (CANCEL) or withdraws the pending attempt.
    private func cancelUpstream() {
        guard let u = upstream else { return }
        if upstreamID != 0, let s = u.session {
            s.resetStream(upstreamID, errorCode: NGHTTP2_CANCEL.rawValue)
        }
        u.detach(self, id: upstreamID)
        endAttempt(failed: false)
    }

    static func describe(_ t: TimeAmount) -> String {
        let ms = t.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
