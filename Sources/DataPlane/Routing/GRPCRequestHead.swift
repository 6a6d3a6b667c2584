// What routing needs from a request's headers: is it gRPC, which service,
// and its deadline.
import NIOCore

struct GRPCRequestHead {
    let isPost: Bool
    let path: String
    /// `package.Service` of `/package.Service/Method`, nil when malformed.
    let service: String?
    /// The client's `grpc-timeout`, if any.
    let timeout: TimeAmount?

    /// Nil when the request is not gRPC (content-type not application/grpc…).
    init?(_ headers: HeaderBlock) {
        guard let ct = headers.index(of: "content-type"), headers.value(at: ct, hasPrefix: "application/grpc") else {
            return nil
        }
        isPost = headers.index(of: ":method").map { headers.withValueBytes(at: $0) { $0.equals("POST") } } ?? false
        guard let p = headers.index(of: ":path") else {
            path = ""
            service = nil
            timeout = nil
            return
        }
        let (path, service) = headers.withValueBytes(at: p) { bytes -> (String, String?) in
            let path = String(decoding: bytes, as: UTF8.self)
            // "/" service "/" method, both non-empty.
            guard bytes.count > 3, bytes[0] == UInt8(ascii: "/") else { return (path, nil) }
            guard let slash = bytes[1...].firstIndex(of: UInt8(ascii: "/")), slash > 1, slash < bytes.count - 1 else {
                return (path, nil)
            }
            return (path, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[1..<slash]), as: UTF8.self))
        }
        self.path = path
        self.service = service
        self.timeout = headers.index(of: "grpc-timeout").flatMap { i in
            headers.withValueBytes(at: i) { Self.parseTimeout($0) }
        }
    }

    /// `grpc-timeout`: 1–8 ASCII digits and a unit (H M S m u n).
    static func parseTimeout(_ bytes: UnsafeRawBufferPointer) -> TimeAmount? {
        guard bytes.count >= 2, bytes.count <= 9 else { return nil }
        var value: Int64 = 0
        for b in bytes.dropLast() {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int64(b - 0x30)
        }
        switch bytes[bytes.count - 1] {
        case UInt8(ascii: "H"): return .hours(value)
        case UInt8(ascii: "M"): return .minutes(value)
        case UInt8(ascii: "S"): return .seconds(value)
        case UInt8(ascii: "m"): return .milliseconds(value)
        case UInt8(ascii: "u"): return .microseconds(value)
        case UInt8(ascii: "n"): return .nanoseconds(value)
        default: return nil
        }
    }
}
