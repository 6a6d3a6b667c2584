// Responses the proxy itself makes: gRPC statuses and plain HTTP errors.

/// gRPC status codes the proxy produces.
enum GRPCStatusCode: Int {
    case ok = 0, cancelled = 1, unknown = 2, deadlineExceeded = 4, resourceExhausted = 8
    case unimplemented = 12, `internal` = 13, unavailable = 14, permissionDenied = 7
}

enum ProxyResponses {
    /// A trailers-only gRPC response: HTTP 200 and the status in one HEADERS frame.
    static func trailersOnly(_ code: GRPCStatusCode, _ message: String) -> HeaderBlock {
        var h = HeaderBlock()
        h.append(name: ":status", value: "200")
        h.append(name: "content-type", value: "application/grpc")
        h.append(name: "grpc-status", value: String(code.rawValue))
        h.append(name: "grpc-message", value: percentEncode(message))
        return h
    }

    /// Trailers carrying a status after a response has started.
    static func trailers(_ code: GRPCStatusCode, _ message: String) -> HeaderBlock {
        var h = HeaderBlock()
        h.append(name: "grpc-status", value: String(code.rawValue))
        h.append(name: "grpc-message", value: percentEncode(message))
        return h
    }

    /// gRPC's grpc-message encoding: printable ASCII except '%' passes,
    /// everything else is %XX of its UTF-8 bytes.
    static func percentEncode(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if b >= 0x20 && b <= 0x7E && b != 0x25 {
                out.append(b)
            } else {
                out.append(0x25); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// gRPC status for an upstream stream reset (per the gRPC HTTP/2 spec).
    static func status(forResetCode code: UInt32) -> GRPCStatusCode {
        switch code {
        case 0x7: return .unavailable         // REFUSED_STREAM
        case 0x8: return .cancelled           // CANCEL
        case 0xb: return .resourceExhausted   // ENHANCE_YOUR_CALM
        case 0xc: return .permissionDenied    // INADEQUATE_SECURITY
        default: return .internal
        }
    }
}
