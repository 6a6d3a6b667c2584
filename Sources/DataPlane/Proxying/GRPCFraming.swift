// Where a byte stream stands within gRPC's length-prefixed framing (a flag
// byte, a 4-byte big-endian length, the message): the proxy needs to know
// whether what it sent so far ends on a message boundary.
import NIOCore

struct GRPCFraming {
    /// Prefix bytes of the current message seen (0…5).
    private var prefixSeen = 0
    /// The length being read from the prefix.
    private var length: UInt32 = 0
    /// Message bytes still to come after the prefix.
    private var remaining = 0

    /// Between two messages (or before the first).
    var atBoundary: Bool { prefixSeen == 0 && remaining == 0 }

    mutating func advance(over buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { advance(over: $0) }
    }

    mutating func advance(over bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while i < n {
            if remaining > 0 {
                let skip = min(remaining, n - i)
                remaining -= skip
                i += skip
                continue
            }
            // In the prefix: byte 0 is the flag, bytes 1–4 the length.
            if prefixSeen > 0 { length = length << 8 | UInt32(bytes[i]) }
            prefixSeen += 1
            i += 1
            if prefixSeen == 5 {
                remaining = Int(length)
                prefixSeen = 0
                length = 0
            }
        }
    }
}
