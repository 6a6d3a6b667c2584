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
    /// The data source of an outgoing stream: how many bytes are ready (at
    /// most `max`), and whether the body ends after them.
    func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk
    /// Hands out exactly `count` body bytes of `streamID` for a DATA frame.
    func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer
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
}

/// HTTP/2 parameters for one side of the proxy.
struct HTTP2Parameters: Sendable {
    var maxConcurrentStreams: UInt32 = 100
    var initialStreamWindow: UInt32 = 1 << 20
    var connectionWindow: Int32 = 8 << 20
    var maxFrameSize: UInt32 = 16_384
    var maxHeaderListSize: UInt32 = 64 << 10
}

enum HTTP2SessionError: Error, CustomStringConvertible {
    case nghttp2(Int32, String)
    case badClientMagic

    var description: String {
        switch self {
        case .nghttp2(let code, let what): return "\(what): \(String(cString: nghttp2_strerror(code)))"
        case .badClientMagic: return "peer did not send the HTTP/2 connection preface"
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
    private(set) var isClosed = false
    private let allocator: ByteBufferAllocator

    init(role: Role, parameters: HTTP2Parameters, allocator: ByteBufferAllocator) throws {
        self.role = role
        self.allocator = allocator
        self.output = allocator.buffer(capacity: 16 << 10)

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
        if role == .client {
            // Until the server's SETTINGS arrive, assume a modest limit.
            nghttp2_option_set_peer_max_concurrent_streams(option, 100)
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

    /// Parses `buffer`; delegate callbacks fire from inside.
    func receive(_ buffer: ByteBuffer) throws {
        guard !isClosed, let handle else { return }
        input = buffer
        defer { input = nil; inputBase = nil }
        let rc = buffer.withUnsafeReadableBytes { bytes -> Int in
            inputBase = UnsafeRawPointer(bytes.baseAddress)
            return nghttp2_session_mem_recv(handle, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
        }
        if rc < 0 {
            if rc == Int(NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue) { throw HTTP2SessionError.badClientMagic }
            throw HTTP2SessionError.nghttp2(Int32(rc), "nghttp2_session_mem_recv")
        }
    }

    /// The received bytes in `[pointer, pointer+count)` as a slice of the
    /// inbound buffer when they lie inside it (the usual case), else a copy.
    fileprivate func slice(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> ByteBuffer {
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
    var wantsWrite: Bool { handle.map { nghttp2_session_want_write($0) != 0 } ?? false }

    /// Serialises every pending frame and hands the bytes to the sink.
    /// Returns false once the session has nothing more to do (it should be
    /// closed).
    @discardableResult
    func flush() throws -> Bool {
        guard !isClosed, let handle else { return false }
        while !isClosed {
            var chunk: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(handle, &chunk)
            if n < 0 { throw HTTP2SessionError.nghttp2(Int32(n), "nghttp2_session_mem_send") }
            if n == 0 { break }
            output.writeBytes(UnsafeRawBufferPointer(start: chunk, count: n))
        }
        emitOutput()
        return wantsRead || wantsWrite
    }

    private func emitOutput() {
        guard output.readableBytes > 0 else { return }
        let out = output
        output.clear(minimumCapacity: 16 << 10)
        sink.write(out)
    }

    /// A DATA frame whose payload is written without copying: the 9-byte
    /// frame header goes with the gathered output, the payload as its own
    /// buffer (small payloads are copied; a separate write costs more).
    fileprivate func sendData(frameHeader: UnsafePointer<UInt8>, length: Int, streamID: Int32) {
        output.writeBytes(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        guard length > 0 else { return }
        var payload = delegate.session(self, takeBytes: length, from: streamID)
        if length <= 2048 {
            output.writeBuffer(&payload)
        } else {
            emitOutput()
            sink.write(payload)
        }
    }

    // MARK: Submitting

    /// Submits a request (client side); returns the new stream's id.
    func submitRequest(_ headers: HeaderBlock, hasBody: Bool,
                       including include: (UnsafeRawBufferPointer) -> Bool) throws -> Int32 {
        guard let handle, !isClosed else { throw HTTP2SessionError.nghttp2(-902, "session closed") }
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

    /// Submits response headers (server side); without a body the HEADERS
    /// frame ends the stream (a gRPC trailers-only response).
    func submitResponse(_ headers: HeaderBlock, on streamID: Int32, hasBody: Bool,
                        including include: (UnsafeRawBufferPointer) -> Bool = { _ in true }) {
        guard let handle, !isClosed else { return }
        _ = headers.withNameValueArray(including: include) { nva, n -> Int32 in
            if hasBody {
                var provider = Self.dataProvider
                return nghttp2_submit_response(handle, streamID, nva, n, &provider)
            }
            return nghttp2_submit_response(handle, streamID, nva, n, nil)
        }
    }

    /// Submits trailers; may be called from `readableBytesOn` when the body ends.
    func submitTrailer(_ headers: HeaderBlock, on streamID: Int32,
                       including include: (UnsafeRawBufferPointer) -> Bool = { _ in true }) {
        guard let handle, !isClosed else { return }
        _ = headers.withNameValueArray(including: include) { nva, n in
            nghttp2_submit_trailer(handle, streamID, nva, n)
        }
    }

    func resumeData(_ streamID: Int32) {
        guard let handle, !isClosed else { return }
        _ = nghttp2_session_resume_data(handle, streamID)
    }

    /// Re-opens the receive window for `count` bytes of `streamID` that the
    /// other side has taken.
    func consume(_ count: Int, on streamID: Int32) {
        guard let handle, !isClosed, count > 0 else { return }
        if nghttp2_session_consume(handle, streamID, count) != 0 {
            _ = nghttp2_session_consume_connection(handle, count)
        }
    }

    func resetStream(_ streamID: Int32, errorCode: UInt32) {
        guard let handle, !isClosed else { return }
        _ = nghttp2_submit_rst_stream(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Graceful GOAWAY: streams already opened finish; new ones are refused.
    func goAway(errorCode: UInt32 = NGHTTP2_NO_ERROR.rawValue, message: String = "") {
        guard let handle, !isClosed else { return }
        let last = nghttp2_session_get_last_proc_stream_id(handle)
        var message = message
        message.withUTF8 { m in
            _ = nghttp2_submit_goaway(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode,
                                      m.baseAddress, m.count)
        }
    }

    /// The first GOAWAY of a graceful shutdown (last stream ID 2^31-1): the
    /// client stops opening streams, and those already on the wire are still
    /// served. `goAway()` a round trip later sets the real last stream ID.
    func shutdownNotice() {
        guard let handle, !isClosed, role == .server else { return }
        _ = nghttp2_submit_shutdown_notice(handle)
    }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS.
    var peerMaxConcurrentStreams: Int {
        guard let handle else { return 0 }
        return Int(nghttp2_session_get_remote_settings(handle, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    // MARK: C callbacks

    private static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let dataProvider: nghttp2_data_provider = {
        var p = nghttp2_data_provider()
        p.source.ptr = nil
        p.read_callback = { _, streamID, _, max, flags, _, userData in
            let s = HTTP2Session.from(userData)
            if s.isClosed { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
            switch s.delegate.session(s, readableBytesOn: streamID, max: max) {
            case .deferred:
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            case .data(let count):
                flags!.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
                return count
            case .last(let count, let trailers):
                var f = NGHTTP2_DATA_FLAG_NO_COPY.rawValue | NGHTTP2_DATA_FLAG_EOF.rawValue
                if let trailers {
                    f |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    s.submitTrailer(trailers, on: streamID, including: HopByHop.isForwardable)
                }
                flags!.pointee |= f
                return count
            }
        }
        return p
    }()

    private static func install(_ cbs: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs) { _, frame, userData in
            let s = HTTP2Session.from(userData)
            guard let frame, !s.isClosed else { return 0 }
            if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) {
                s.delegate.session(s, beginHeadersOn: frame.pointee.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(cbs) { _, frame, name, namelen, value, valuelen, _, userData in
            let s = HTTP2Session.from(userData)
            guard let frame, !s.isClosed else { return 0 }
            s.delegate.session(s, header: UnsafeRawBufferPointer(start: name, count: namelen),
                               value: UnsafeRawBufferPointer(start: value, count: valuelen),
                               on: frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs) { _, frame, userData in
            let s = HTTP2Session.from(userData)
            guard let frame, !s.isClosed else { return 0 }
            let hd = frame.pointee.hd
            let endStream = hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            switch UInt32(hd.type) {
            case NGHTTP2_HEADERS.rawValue:
                s.delegate.session(s, headersCompleteOn: hd.stream_id, endStream: endStream)
            case NGHTTP2_DATA.rawValue:
                if endStream { s.delegate.session(s, endStreamOn: hd.stream_id) }
            case NGHTTP2_GOAWAY.rawValue:
                s.delegate.session(s, goAwayLastStreamID: frame.pointee.goaway.last_stream_id,
                                   errorCode: frame.pointee.goaway.error_code)
            case NGHTTP2_SETTINGS.rawValue:
                if hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 { s.delegate.sessionReceivedSettings(s) }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs) { _, _, streamID, data, len, userData in
            let s = HTTP2Session.from(userData)
            guard !s.isClosed, let data else { return 0 }
            s.delegate.session(s, data: s.slice(data, len), on: streamID)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs) { _, streamID, errorCode, userData in
            let s = HTTP2Session.from(userData)
            guard !s.isClosed else { return 0 }
            s.delegate.session(s, streamClosed: streamID, errorCode: errorCode)
            return 0
        }
        nghttp2_session_callbacks_set_send_data_callback(cbs) { _, frame, framehd, length, _, userData in
            let s = HTTP2Session.from(userData)
            guard let frame, let framehd else { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            s.sendData(frameHeader: framehd, length: length, streamID: frame.pointee.hd.stream_id)
            return 0
        }
    }
}
