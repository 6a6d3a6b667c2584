// The one Swift type that owns an nghttp2_session: it feeds bytes in,
// drains frames out, and turns nghttp2's C callbacks into delegate calls.
import CNGHTTP2
import NIOCore

/// Events of one HTTP/2 session, delivered synchronously while bytes are fed
/// in (`receive`) or frames are drained out (`flush`). A delegate must not
/// call back into the same session from these methods except where noted;
/// touching *other* sessions is fine.
protocol HTTP2SessionDelegate: AnyObject {
    func session(_ s: HTTP2Session, beginHeadersOn streamID: Int32)
    func session(_ s: HTTP2Session, header name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                 on streamID: Int32)
    func session(_ s: HTTP2Session, headersCompleteOn streamID: Int32, endStream: Bool)
    func session(_ s: HTTP2Session, data: ByteBuffer, on streamID: Int32)
    func session(_ s: HTTP2Session, endStreamOn streamID: Int32)
    func session(_ s: HTTP2Session, streamClosed streamID: Int32, errorCode: UInt32)
    func session(_ s: HTTP2Session, goAwayLastStreamID: Int32, errorCode: UInt32)
    func sessionReceivedSettings(_ s: HTTP2Session)
    /// A frame header arrived (its payload may still be on the way).
    func session(_ s: HTTP2Session, beginFrame type: UInt8, on streamID: Int32)
    /// A frame that costs the receiver work without carrying a request:
    /// SETTINGS, PING, WINDOW_UPDATE, or DATA that is empty and does not end
    /// its stream. Abuse limits count these (PRIORITY, which nghttp2 drops
    /// unseen, is counted from `beginFrame`).
    func session(_ s: HTTP2Session, controlFrame type: UInt8, on streamID: Int32)
    /// The peer sent RST_STREAM.
    func session(_ s: HTTP2Session, peerReset streamID: Int32, errorCode: UInt32)
    /// The data source of an outgoing stream: how many bytes are ready (at
    /// most `max`), and whether the body ends after them.
    func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk
    /// Hands out exactly `count` body bytes of `streamID` for a DATA frame;
    /// nil if the stream has none after all (it is then reset, never padded).
    func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer?
    /// The peer acknowledged a PING the session sent.
    func sessionReceivedPingAck(_ s: HTTP2Session)
}

/// What a stream's body source has ready for the next DATA frame.
enum BodyChunk {
    /// Nothing yet: the stream waits until `resumeData`.
    case deferred
    /// `count` bytes, more to come.
    case data(Int)
    /// The last `count` bytes; the stream ends with them or with `trailers`.
    case last(Int, trailers: HeaderBlock?)
}

/// Where a session's outgoing bytes go (the owning channel handler).
protocol HTTP2OutboundSink: AnyObject {
    func write(_ buffer: ByteBuffer)
    /// Work was deferred to the session's next flush: schedule one.
    func sessionNeedsFlush()
}

/// HTTP/2 parameters for one side of the proxy.
struct HTTP2Parameters: Sendable {
    var maxConcurrentStreams: UInt32 = 100
    var initialStreamWindow: UInt32 = 1 << 20
    var connectionWindow: Int32 = 8 << 20
    var maxFrameSize: UInt32 = 16_384
    var maxHeaderListSize: UInt32 = 64 << 10
    /// Abuse limits nghttp2 enforces itself (see HTTP2Config).
    var maxContinuations = 8
    var maxSettingsEntries = 32
    var maxOutboundAcks = 1000
    /// Backstop for nghttp2's own RST_STREAM rate limit (the proxy's own,
    /// stricter check answers ENHANCE_YOUR_CALM first).
    var resetBurst: UInt64 = 10_000
    var resetRate: UInt64 = 1_000
}

enum HTTP2SessionError: Error, CustomStringConvertible {
    case nghttp2(Int32, String)
    case badClientMagic
    /// The peer exceeded a flood limit nghttp2 enforces (queued
    /// acknowledgements, CONTINUATION frames): answer ENHANCE_YOUR_CALM.
    case flooded(String)
    /// A frame that breaks RFC 9113 where nghttp2 does not look
    /// (InboundFrameCheck.swift); its GOAWAY is queued.
    case protocolViolation(String)

    var description: String {
        switch self {
        case .nghttp2(let code, let what): return "\(what): \(String(cString: nghttp2_strerror(code)))"
        case .badClientMagic: return "peer did not send the HTTP/2 connection preface"
        case .flooded(let what), .protocolViolation(let what): return what
        }
    }
}

final class HTTP2Session {
    enum Role { case server, client }

    let role: Role
    private var handle: OpaquePointer?
    unowned(unsafe) var delegate: HTTP2SessionDelegate!
    unowned(unsafe) var sink: HTTP2OutboundSink!
    /// The inbound buffer being parsed; DATA chunks are sliced out of it
    /// instead of copied.
    private var input: ByteBuffer?
    private var inputBase: UnsafeRawPointer?
    /// Outgoing frame bytes gathered during one flush.
    private var output: ByteBuffer
    /// Bytes handed to the sink during the current flush (frames and payloads).
    private var flushedBytes = 0
    private(set) var isClosed = false
    private let allocator: ByteBufferAllocator
    /// DATA bytes received during the current `receive`: the connection
    /// window is re-opened for them as soon as it returns, whoever holds them.
    var arrivedBytes = 0
    /// Work asked of the session from outside its own nghttp2 calls: applied
    /// in order at the start of its next flush, so that no nghttp2 call is
    /// ever made on one session from inside a callback of another.
    private var deferred = CircularBuffer<DeferredCall>(initialCapacity: 8)
    /// An nghttp2 call of this session is on the stack.
    private var busy = false
    /// DATA frames sent: a peer's WINDOW_UPDATEs are judged against them.
    private(set) var dataFramesSent = 0
    /// Server side: the RFC 9113 checks nghttp2 skips (InboundFrameCheck.swift).
    private var inboundCheck: InboundFrameCheck?

    init(role: Role, parameters: HTTP2Parameters, allocator: ByteBufferAllocator) throws {
        self.role = role
        self.allocator = allocator
        self.output = allocator.buffer(capacity: 16 << 10)
        if role == .server { inboundCheck = InboundFrameCheck() }

        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw HTTP2SessionError.nghttp2(-901, "nghttp2_session_callbacks_new")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else {
            throw HTTP2SessionError.nghttp2(-901, "nghttp2_option_new")
        }
        defer { nghttp2_option_del(option) }
        // Window updates are sent only once the other side of the proxy has
        // taken the bytes: this is what couples flow control end to end.
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_send_header_block_length(option, Int(parameters.maxHeaderListSize) + 1024)
        nghttp2_option_set_max_continuations(option, parameters.maxContinuations)
        nghttp2_option_set_max_settings(option, parameters.maxSettingsEntries)
        nghttp2_option_set_max_outbound_ack(option, parameters.maxOutboundAcks)
        if role == .client {
            // Until the server's SETTINGS arrive, assume a modest limit.
            nghttp2_option_set_peer_max_concurrent_streams(option, 100)
        } else {
            nghttp2_option_set_stream_reset_rate_limit(option, parameters.resetBurst, parameters.resetRate)
        }

        var session: OpaquePointer?
        let rc: Int32
        switch role {
        case .server: rc = nghttp2_session_server_new2(&session, callbacks, nil, option)
        case .client: rc = nghttp2_session_client_new2(&session, callbacks, nil, option)
        }
        guard rc == 0, let session else { throw HTTP2SessionError.nghttp2(rc, "nghttp2_session_new") }
        self.handle = session
        nghttp2_session_set_user_data(session, Unmanaged.passUnretained(self).toOpaque())

        var settings: [nghttp2_settings_entry] = [
            .init(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: parameters.initialStreamWindow),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: parameters.maxFrameSize),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: parameters.maxHeaderListSize),
        ]
        if role == .server {
            settings.append(.init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                  value: parameters.maxConcurrentStreams))
            // RFC 9218: the proxy ignores RFC 7540 priorities, so nghttp2
            // keeps no priority tree and no closed streams. The RFC 9113
            // checks that this turns off in nghttp2 (PRIORITY frames, frames
            // on closed streams) are InboundFrameCheck's.
            settings.append(.init(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1))
        } else {
            settings.append(.init(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        try check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), settings, settings.count),
                  "nghttp2_submit_settings")
        try check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0,
                                                        parameters.connectionWindow),
                  "nghttp2_session_set_local_window_size")
    }

    deinit {
        if let handle { nghttp2_session_del(handle) }
    }

    /// Stops all further work; the nghttp2 session is freed with this object,
    /// never while one of its calls is on the stack.
    func close() { isClosed = true }

    private func check(_ rc: Int32, _ what: String) throws {
        if rc < 0 { throw HTTP2SessionError.nghttp2(rc, what) }
    }

    // MARK: Input

    /// Parses `buffer`; delegate callbacks fire from inside. The connection
    /// window is re-opened for every DATA byte as it arrives: backpressure is
    /// per stream only, so one stream whose reader is slow never freezes the
    /// others on the connection (the stream windows and the proxy's buffer
    /// budgets bound what is held).
    func receive(_ buffer: ByteBuffer) throws {
        guard !isClosed, let handle else { return }
        precondition(!busy, "HTTP2Session re-entered")
        busy = true
        input = buffer
        defer { input = nil; inputBase = nil; busy = false }
        var violation: InboundFrameCheck.Violation?
        let rc = buffer.withUnsafeReadableBytes { bytes -> Int in
            inputBase = UnsafeRawPointer(bytes.baseAddress)
            var count = bytes.count
            if inboundCheck != nil, let v = inboundCheck!.scan(bytes) {
                // nghttp2 gets the frames before the offending one, no more.
                violation = v
                inboundCheck = nil
                count = v.offset
            }
            return nghttp2_session_mem_recv(handle, bytes.bindMemory(to: UInt8.self).baseAddress, count)
        }
        if arrivedBytes > 0, !isClosed {
            _ = nghttp2_session_consume_connection(handle, arrivedBytes)
            arrivedBytes = 0
        }
        if rc >= 0, nghttp2_session_want_read(handle) == 0, nghttp2_session_want_write(handle) != 0 {
            // nghttp2 found a connection error and queued its GOAWAY: what
            // the input asked for before the error is not answered (RFC
            // 9113 §5.4.1, the connection is over).
            deferred.removeAll()
        }
        if rc < 0 {
            switch Int32(rc) {
            case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue: throw HTTP2SessionError.badClientMagic
            case NGHTTP2_ERR_FLOODED.rawValue:
                throw HTTP2SessionError.flooded("too many control frames queued for a peer that does not read them")
            case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue:
                throw HTTP2SessionError.flooded("too many CONTINUATION frames in one header block")
            default: throw HTTP2SessionError.nghttp2(Int32(rc), "nghttp2_session_mem_recv")
            }
        }
        if let violation {
            // A connection error, as nghttp2 would raise it: GOAWAY now (all
            // later input is ignored, the rest of this read batch included),
            // and nothing the input asked for is answered.
            _ = nghttp2_session_terminate_session(handle, violation.errorCode)
            deferred.removeAll()
            throw HTTP2SessionError.protocolViolation(violation.reason)
        }
    }

    /// The received bytes in `[pointer, pointer+count)` as a slice of the
    /// inbound buffer when they lie inside it (the usual case), else a copy.
    /// (A slice keeps its read buffer alive: BodyQueue packs what stays.)
    func slice(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> ByteBuffer {
        if let input, let inputBase {
            let offset = UnsafeRawPointer(pointer) - inputBase
            if offset >= 0, offset + count <= input.readableBytes,
               let s = input.getSlice(at: input.readerIndex + offset, length: count) {
                return s
            }
        }
        var copy = allocator.buffer(capacity: count)
        copy.writeBytes(UnsafeRawBufferPointer(start: pointer, count: count))
        return copy
    }

    // MARK: Output

    var wantsRead: Bool { handle.map { nghttp2_session_want_read($0) != 0 } ?? false }
    var wantsWrite: Bool {
        guard let handle else { return false }
        return !deferred.isEmpty || nghttp2_session_want_write(handle) != 0
    }

    /// Applies the deferred calls, then serialises pending frames and hands
    /// the bytes to the sink, stopping once about `budget` bytes went out so
    /// that a peer that does not read cannot make one flush queue megabytes.
    func flush(budget: Int = .max) throws -> FlushOutcome {
        guard !isClosed, let handle else { return .finished }
        precondition(!busy, "HTTP2Session re-entered")
        busy = true
        defer { busy = false }
        while let call = deferred.popFirst() { apply(call, handle) }
        flushedBytes = 0
        while !isClosed {
            var chunk: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(handle, &chunk)
            if n < 0 { throw HTTP2SessionError.nghttp2(Int32(n), "nghttp2_session_mem_send") }
            if n == 0 { break }
            output.writeBytes(UnsafeRawBufferPointer(start: chunk, count: n))
            if flushedBytes + output.readableBytes >= budget {
                emitOutput()
                return .budgetSpent
            }
        }
        emitOutput()
        return wantsRead || wantsWrite ? .idle : .finished
    }

    enum FlushOutcome {
        /// Everything pending was written; the session goes on.
        case idle
        /// The byte budget was spent with frames still pending.
        case budgetSpent
        /// The session has nothing more to do: close the connection.
        case finished
    }

    private func emitOutput() {
        guard output.readableBytes > 0 else { return }
        let out = output
        flushedBytes += out.readableBytes
        output.clear(minimumCapacity: 16 << 10)
        sink.write(out)
    }

    /// A DATA frame whose payload is written without copying: the 9-byte
    /// frame header goes with the gathered output, the payload as its own
    /// buffer (small payloads are copied; a separate write costs more).
    /// Returns false when the body source had nothing after all.
    func sendData(frameHeader: UnsafePointer<UInt8>, length: Int, streamID: Int32) -> Bool {
        dataFramesSent &+= 1
        guard length > 0 else {
            output.writeBytes(UnsafeRawBufferPointer(start: frameHeader, count: 9))
            return true
        }
        guard var payload = delegate.session(self, takeBytes: length, from: streamID),
              payload.readableBytes == length else { return false }
        output.writeBytes(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        if length <= 2048 {
            output.writeBuffer(&payload)
        } else {
            emitOutput()
            flushedBytes += payload.readableBytes
            sink.write(payload)
        }
        return true
    }

    // MARK: Deferred calls

    /// What may be asked of a session while nghttp2 is busy elsewhere.
    enum DeferredCall {
        case response(HeaderBlock, streamID: Int32, hasBody: Bool, forwarded: Bool)
        case resume(Int32)
        case consume(Int32, Int)
        case reset(Int32, UInt32)
        case goAway(UInt32, String)
        case shutdownNotice
        case ping
    }

    private func apply(_ call: DeferredCall, _ handle: OpaquePointer) {
        switch call {
        case .response(let headers, let id, let hasBody, let forwarded):
            _ = headers.withNameValueArray(including: forwarded ? HopByHop.isForwardable : { _ in true }) { nva, n in
                if hasBody {
                    var provider = Self.dataProvider
                    return nghttp2_submit_response(handle, id, nva, n, &provider)
                }
                return nghttp2_submit_response(handle, id, nva, n, nil)
            }
        case .resume(let id):
            _ = nghttp2_session_resume_data(handle, id)
        case .consume(let id, let count):
            _ = nghttp2_session_consume_stream(handle, id, count)
        case .reset(let id, let code):
            _ = nghttp2_submit_rst_stream(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, code)
        case .goAway(let code, var message):
            let last = nghttp2_session_get_last_proc_stream_id(handle)
            message.withUTF8 { m in
                _ = nghttp2_submit_goaway(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, code, m.baseAddress, m.count)
            }
        case .shutdownNotice:
            _ = nghttp2_submit_shutdown_notice(handle)
        case .ping:
            _ = nghttp2_submit_ping(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
        }
    }

    @inline(__always)
    private func later(_ call: DeferredCall) {
        guard handle != nil, !isClosed else { return }
        deferred.append(call)
        sink.sessionNeedsFlush()
    }

    /// Applies the deferred calls without writing (the peer is not reading:
    /// resets and window changes still take effect, nothing piles up).
    func applyDeferred() {
        guard !isClosed, let handle else { return }
        precondition(!busy, "HTTP2Session re-entered")
        busy = true
        defer { busy = false }
        while let call = deferred.popFirst() { apply(call, handle) }
    }

    // MARK: Submitting

    /// Submits a request (client side) and returns the new stream's id. Only
    /// from the connection's own flush (`UpstreamConnection.willFlush`), never
    /// from inside another session's callback.
    func submitRequest(_ headers: HeaderBlock, hasBody: Bool,
                       including include: (UnsafeRawBufferPointer) -> Bool) throws -> Int32 {
        guard let handle, !isClosed else { throw HTTP2SessionError.nghttp2(-902, "session closed") }
        precondition(!busy, "HTTP2Session re-entered")
        let id = headers.withNameValueArray(including: include) { nva, n -> Int32 in
            if hasBody {
                var provider = Self.dataProvider
                return nghttp2_submit_request(handle, nil, nva, n, &provider, nil)
            }
            return nghttp2_submit_request(handle, nil, nva, n, nil, nil)
        }
        try check(id, "nghttp2_submit_request")
        return id
    }

    /// Response headers (server side), sent at the next flush; without a
    /// body the HEADERS frame ends the stream (a gRPC trailers-only
    /// response). `forwarded`: headers from a backend, hop-by-hop fields dropped.
    func submitResponse(_ headers: HeaderBlock, on streamID: Int32, hasBody: Bool, forwarded: Bool = false) {
        later(.response(headers, streamID: streamID, hasBody: hasBody, forwarded: forwarded))
    }

    /// Submits trailers; called from `readableBytesOn` when the body ends
    /// (inside the session's own flush, which nghttp2 allows).
    func submitTrailer(_ headers: HeaderBlock, on streamID: Int32,
                       including include: (UnsafeRawBufferPointer) -> Bool = { _ in true }) {
        guard let handle, !isClosed else { return }
        _ = headers.withNameValueArray(including: include) { nva, n in
            nghttp2_submit_trailer(handle, streamID, nva, n)
        }
    }

    /// The body of `streamID` has more bytes: ask for them at the next flush.
    func resumeData(_ streamID: Int32) { later(.resume(streamID)) }

    /// Re-opens the stream window of `streamID` for `count` bytes the other
    /// side has taken (the connection window was re-opened on arrival).
    func consume(_ count: Int, on streamID: Int32) {
        guard count > 0 else { return }
        later(.consume(streamID, count))
    }

    func resetStream(_ streamID: Int32, errorCode: UInt32) { later(.reset(streamID, errorCode)) }

    /// Graceful GOAWAY: streams already opened finish; new ones are refused.
    func goAway(errorCode: UInt32 = NGHTTP2_NO_ERROR.rawValue, message: String = "") {
        later(.goAway(errorCode, message))
    }

    /// The first GOAWAY of a graceful shutdown (last stream ID 2^31-1): the
    /// client stops opening streams, and those already on the wire are still
    /// served. `goAway()` a round trip later sets the real last stream ID.
    func shutdownNotice() {
        guard role == .server else { return }
        later(.shutdownNotice)
    }

    /// Ends the session now, from inside one of its own callbacks (or from
    /// outside any nghttp2 call), so that nothing more of the input in hand
    /// is processed: a limit the proxy enforces wins over nghttp2's own.
    func terminate(errorCode: UInt32) {
        guard let handle, !isClosed else { return }
        deferred.removeAll()
        _ = nghttp2_session_terminate_session(handle, errorCode)
        sink.sessionNeedsFlush()
    }

    /// A PING whose ACK shows the peer is alive (`sessionReceivedPingAck`).
    func ping() { later(.ping) }

    /// The highest stream id the session has processed (for a GOAWAY).
    var lastProcessedStreamID: Int32 {
        handle.map { nghttp2_session_get_last_proc_stream_id($0) } ?? 0
    }

    /// A GOAWAY frame built by hand, for when the session itself can no
    /// longer be used (nghttp2 reported a fatal error).
    static func goAwayFrame(lastStreamID: Int32, errorCode: UInt32, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 17)
        frame.writeBytes([0, 0, 8, 0x7, 0, 0, 0, 0, 0])
        frame.writeInteger(UInt32(bitPattern: lastStreamID) & 0x7FFF_FFFF)
        frame.writeInteger(errorCode)
        return frame
    }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS.
    var peerMaxConcurrentStreams: Int {
        guard let handle else { return 0 }
        return Int(nghttp2_session_get_remote_settings(handle, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Streams the session can still open before stream IDs run out.
    var streamIDsLeft: Int {
        guard let handle else { return 0 }
        let next = nghttp2_session_get_next_stream_id(handle)
        return Int(max(0, (Int64(Int32.max) - Int64(next)) / 2))
    }
}
