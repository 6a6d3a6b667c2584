// Which header fields a proxy must not forward (RFC 9110 §7.6.1, RFC 9113 §8.2.2).
import CNGHTTP2

enum HopByHop {
    /// False for connection-specific fields. `te` passes: in HTTP/2 its only
    /// legal value is `trailers`, which gRPC requires end to end.
    @inline(__always)
    static func isForwardable(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 7: return !name.equals("upgrade")
        case 10: return !(name.equals("connection") || name.equals("keep-alive"))
        case 16: return !name.equals("proxy-connection")
        case 17: return !name.equals("transfer-encoding")
        default: return true
        }
    }
}
