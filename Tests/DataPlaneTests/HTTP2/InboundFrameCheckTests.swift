import Testing
@testable import DataPlane

@Suite struct InboundFrameCheckTests {
    static let magic = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, _ flags: UInt8 = 0, _ stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
            + payload
    }

    static func headers(_ stream: UInt32, endStream: Bool = true) -> [UInt8] {
        frame(0x1, endStream ? 0x5 : 0x4, stream, [0x82, 0x87, 0x84])
    }
    static func data(_ stream: UInt32, endStream: Bool = true) -> [UInt8] { frame(0x0, endStream ? 0x1 : 0, stream, [1, 2]) }
    static func reset(_ stream: UInt32) -> [UInt8] { frame(0x3, 0, stream, [0, 0, 0, 8]) }
    static func priority(_ stream: UInt32, on dependency: UInt32) -> [UInt8] {
        frame(0x2, 0, stream, [UInt8(dependency >> 24), UInt8(dependency >> 16 & 0xFF),
                               UInt8(dependency >> 8 & 0xFF), UInt8(dependency & 0xFF), 16])
    }
    static let settings = frame(0x4, 0, 0)

    /// Scans `bytes` cut into reads of `chunk` bytes; the violation's code
    /// and its offset in the whole input.
    static func first(_ bytes: [UInt8], chunk: Int = .max) -> (code: UInt32, offset: Int)? {
        var check = InboundFrameCheck()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(chunk, bytes.count))
            let v = bytes[start..<end].withUnsafeBytes { check.scan($0) }
            if let v { return (v.errorCode, start + v.offset) }
            start = end
        }
        return nil
    }

    @Test func ordinaryTrafficPasses() {
        // Requests with bodies and trailers, cancellations, PRIORITY on idle
        // and closed streams, ascending IDs with gaps above the last one.
        var b = Self.magic + Self.settings
        b += Self.headers(1, endStream: false) + Self.data(1, endStream: false) + Self.headers(1)
        b += Self.headers(3, endStream: false) + Self.reset(3) + Self.priority(3, on: 0)
        b += Self.priority(9, on: 1) + Self.headers(5) + Self.reset(5) + Self.headers(11)
        b += Self.headers(13, endStream: false) + Self.data(13)
        for chunk in [1, 2, 7, 9, 100, Int.max] { #expect(Self.first(b, chunk: chunk) == nil, "chunk \(chunk)") }
    }

    @Test func priorityOnStreamZeroAndSelfDependency() {
        let zero = Self.magic + Self.settings + Self.priority(0, on: 1)
        let selfDependent = Self.magic + Self.settings + Self.headers(1) + Self.priority(3, on: 3)
        let exclusiveSelf = Self.magic + Self.settings + Self.priority(5, on: 5 | 0x8000_0000)
        for chunk in [1, 3, Int.max] {
            #expect(Self.first(zero, chunk: chunk)?.code == 1)
            #expect(Self.first(selfDependent, chunk: chunk)?.code == 1)
            #expect(Self.first(exclusiveSelf, chunk: chunk)?.code == 1)
        }
        // nghttp2 gets everything before the offending frame.
        #expect(Self.first(zero)?.offset == Self.magic.count + Self.settings.count)
    }

    @Test func framesOnStreamsTheClientClosed() {
        let base = Self.magic + Self.settings
        #expect(Self.first(base + Self.headers(1, endStream: false) + Self.reset(1) + Self.data(1))?.code == 5)
        #expect(Self.first(base + Self.headers(1, endStream: false) + Self.reset(1) + Self.headers(1))?.code == 5)
        #expect(Self.first(base + Self.headers(1) + Self.data(1))?.code == 5)
        #expect(Self.first(base + Self.headers(1) + Self.headers(1))?.code == 5)
        #expect(Self.first(base + Self.headers(1, endStream: false) + Self.data(1) + Self.data(1))?.code == 5)
    }

    @Test func aStreamIDBelowOneAlreadyOpened() {
        let base = Self.magic + Self.settings
        #expect(Self.first(base + Self.headers(5) + Self.headers(3))?.code == 1)
        // IDs too old to be remembered are left to nghttp2.
        #expect(Self.first(base + Self.headers(1_001) + Self.headers(3)) == nil)
        #expect(Self.first(base + Self.headers(1) + Self.headers(1_001) + Self.headers(3)) == nil)
    }
}
