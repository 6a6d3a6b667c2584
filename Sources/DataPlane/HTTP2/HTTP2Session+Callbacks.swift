// nghttp2's C callbacks: each finds its HTTP2Session through the user-data
// pointer and turns the event into a delegate call.
import CNGHTTP2
import NIOCore

extension HTTP2Session {
    static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    static let dataProvider: nghttp2_data_provider = {
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

    static func install(_ cbs: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_frame_callback(cbs) { _, hd, userData in
            let s = HTTP2Session.from(userData)
            guard let hd, !s.isClosed else { return 0 }
            s.delegate.session(s, beginFrame: hd.pointee.type, on: hd.pointee.stream_id)
            return 0
        }
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
                if endStream {
                    s.delegate.session(s, endStreamOn: hd.stream_id)
                } else if hd.length == 0 {
                    s.delegate.session(s, controlFrame: hd.type, on: hd.stream_id)
                }
            case NGHTTP2_PING.rawValue:
                if hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
                    s.delegate.sessionReceivedPingAck(s)
                } else {
                    s.delegate.session(s, controlFrame: hd.type, on: hd.stream_id)
                }
            case NGHTTP2_WINDOW_UPDATE.rawValue:
                s.delegate.session(s, controlFrame: hd.type, on: hd.stream_id)
            case NGHTTP2_RST_STREAM.rawValue:
                s.delegate.session(s, peerReset: hd.stream_id, errorCode: frame.pointee.rst_stream.error_code)
            case NGHTTP2_GOAWAY.rawValue:
                s.delegate.session(s, goAwayLastStreamID: frame.pointee.goaway.last_stream_id,
                                   errorCode: frame.pointee.goaway.error_code)
            case NGHTTP2_SETTINGS.rawValue:
                if hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                    s.delegate.sessionReceivedSettings(s)
                    s.delegate.session(s, controlFrame: hd.type, on: 0)
                }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs) { _, _, streamID, data, len, userData in
            let s = HTTP2Session.from(userData)
            guard !s.isClosed, let data else { return 0 }
            s.arrivedBytes += len
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
            // A body source that promised bytes and has none resets the
            // stream (TEMPORAL failure) instead of sending filler.
            return s.sendData(frameHeader: framehd, length: length, streamID: frame.pointee.hd.stream_id)
                ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
    }
}
