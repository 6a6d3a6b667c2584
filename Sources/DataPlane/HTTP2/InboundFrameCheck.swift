// RFC 9113 checks that nghttp2 skips on the proxy's downstream sessions.
//
// With SETTINGS_NO_RFC7540_PRIORITIES=1 (RFC 9218), nghttp2 1.52 neither
// parses PRIORITY frames (one on stream 0, or a stream that depends on
// itself, goes unnoticed) nor keeps closed streams (DATA or HEADERS on a
// stream the client itself ended or reset is dropped silently); in either
// mode it does not remember which stream IDs a client skipped (RFC 9113
// §5.1.1), and with priorities on it keeps closed streams only up to
// SETTINGS_MAX_CONCURRENT_STREAMS of them.
// This check walks the frame headers of a client's bytes before nghttp2
// parses them, keeps the client's own view of its recent streams, and
// reports the first frame that breaks RFC 9113 §5.1, §5.1.1, §5.3.1 or
// §6.3. It judges only what the client did itself, so it cannot be tripped
// by a race with the proxy's own resets (a client may still send trailers
// or DATA on a stream the proxy reset: those go to nghttp2, which drops them).
//
// Cost: a few operations per frame header (payloads are skipped, not read)
// and 256 bytes per connection once it opens a stream.
import CNGHTTP2

struct InboundFrameCheck {
    struct Violation {
        /// Where the offending frame starts in the buffer given to `scan`
        /// (0 when its header began in an earlier one).
        let offset: Int
        let errorCode: UInt32
        let reason: String
    }

    /// A client stream as the client left it.
    private enum State: UInt8 {
        /// Never opened: a lower ID than one the client opened later.
        case skipped = 0
        case open
        /// The client sent END_STREAM.
        case ended
        /// The client sent RST_STREAM.
        case reset
    }

    /// Streams remembered: the client's last 256 stream IDs (a power of two).
    private static let window: UInt32 = 256
    private var states: [UInt8] = []
    /// The highest stream ID the client opened (0: none yet).
    private var highest: UInt32 = 0

    /// Bytes still to pass over unread: the client magic, then payloads.
    private var skip = Int(NGHTTP2_CLIENT_MAGIC_LEN)
    /// The frame header being read, byte by byte.
    private var headerBytes = 0
    private var length = 0
    private var type: UInt8 = 0
    private var flags: UInt8 = 0
    private var streamID: UInt32 = 0
    /// Where the current frame began in the current buffer.
    private var frameStart = 0
    /// Bytes of a PRIORITY payload read so far (-1: not reading one).
    private var priorityBytes = -1
    private var dependency: UInt32 = 0
    private var priorityStream: UInt32 = 0

    /// Scans the next bytes from the client; returns the first violation.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Violation? {
        let n = bytes.count
        var i = 0
        frameStart = 0
        while i < n {
            if skip > 0 {
                let k = min(skip, n - i)
                skip -= k
                i += k
                continue
            }
            let b = bytes[i]
            if priorityBytes >= 0 {
                if priorityBytes < 4 { dependency = dependency << 8 | UInt32(b) }
                priorityBytes += 1
                i += 1
                if priorityBytes == 5 {
                    priorityBytes = -1
                    if dependency & 0x7FFF_FFFF == priorityStream {
                        return Violation(offset: frameStart, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue,
                                         reason: "PRIORITY: stream \(priorityStream) depends on itself (RFC 9113 §5.3.1)")
                    }
                }
                continue
            }
            if headerBytes == 0 { frameStart = i }
            switch headerBytes {
            case 0...2: length = length << 8 | Int(b)
            case 3: type = b
            case 4: flags = b
            default: streamID = streamID << 8 | UInt32(b)
            }
            headerBytes += 1
            i += 1
            if headerBytes == 9 {
                headerBytes = 0
                if let v = frameHeader() { return v }
            }
        }
        return nil
    }

    /// A whole frame header was read: judge it and set up its payload.
    private mutating func frameHeader() -> Violation? {
        let id = streamID & 0x7FFF_FFFF
        let endStream = flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        skip = length
        defer { length = 0; streamID = 0 }
        switch UInt32(type) {
        case NGHTTP2_PRIORITY.rawValue:
            if id == 0 {
                return violation(NGHTTP2_PROTOCOL_ERROR, "PRIORITY on stream 0 (RFC 9113 §6.3)")
            }
            if length == 5 {
                // Any other length is nghttp2's FRAME_SIZE_ERROR.
                skip = 0
                priorityBytes = 0
                dependency = 0
                priorityStream = id
            }
        case NGHTTP2_HEADERS.rawValue:
            return headers(id, endStream: endStream)
        case NGHTTP2_DATA.rawValue:
            return data(id, endStream: endStream)
        case NGHTTP2_RST_STREAM.rawValue:
            if let s = state(id), s != .skipped { set(id, .reset) }
        default:
            break
        }
        return nil
    }

    private func violation(_ code: nghttp2_error_code, _ reason: String) -> Violation {
        Violation(offset: frameStart, errorCode: code.rawValue, reason: reason)
    }

    private mutating func headers(_ id: UInt32, endStream: Bool) -> Violation? {
        // Stream 0 and even IDs are nghttp2's errors.
        guard id & 1 == 1 else { return nil }
        if id > highest {
            opened(id)
            if endStream { set(id, .ended) }
            return nil
        }
        switch state(id) {
        case nil:
            return nil
        case .skipped?:
            return violation(NGHTTP2_PROTOCOL_ERROR,
                             "HEADERS on stream \(id) after the client opened stream \(highest) (RFC 9113 §5.1.1)")
        case .ended?, .reset?:
            return violation(NGHTTP2_STREAM_CLOSED, "HEADERS on stream \(id) after the client closed it (RFC 9113 §5.1)")
        case .open?:
            // Trailers.
            if endStream { set(id, .ended) }
            return nil
        }
    }

    private mutating func data(_ id: UInt32, endStream: Bool) -> Violation? {
        switch state(id) {
        case .ended?, .reset?:
            return violation(NGHTTP2_STREAM_CLOSED, "DATA on stream \(id) after the client closed it (RFC 9113 §5.1)")
        case .open?:
            if endStream { set(id, .ended) }
        case nil, .skipped?:
            // Idle or never opened: nghttp2 answers or drops it.
            break
        }
        return nil
    }

    /// The client opened `id`, above every stream it opened before: the IDs
    /// between are closed without having been used (RFC 9113 §5.1.1).
    private mutating func opened(_ id: UInt32) {
        if states.isEmpty { states = [UInt8](repeating: State.skipped.rawValue, count: Int(Self.window)) }
        let first = highest == 0 ? 1 : highest + 2
        if (id - first) / 2 >= Self.window {
            for k in states.indices { states[k] = State.skipped.rawValue }
        } else {
            var skipped = first
            while skipped < id {
                states[slot(skipped)] = State.skipped.rawValue
                skipped += 2
            }
        }
        highest = id
        set(id, .open)
    }

    /// What the client did with `id`, if it is one of the client's streams
    /// still remembered.
    private func state(_ id: UInt32) -> State? {
        guard id & 1 == 1, id <= highest, (highest - id) / 2 < Self.window else { return nil }
        return State(rawValue: states[slot(id)])
    }

    private mutating func set(_ id: UInt32, _ state: State) { states[slot(id)] = state.rawValue }

    @inline(__always)
    private func slot(_ id: UInt32) -> Int { Int((id >> 1) & (Self.window - 1)) }
}
