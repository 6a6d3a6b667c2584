// A hostile HTTP/2 peer for tests: hand-built frames over plain TCP (h2c),
// written as fast as the socket takes them, with everything the server
// sends kept as parsed frames.
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One HTTP/2 frame as received.
public struct RawFrame: Sendable {
    public var type: UInt8
    public var flags: UInt8
    public var streamID: UInt32
    public var payload: [UInt8]
    /// When the frame was parsed, for tests that need to know when the
    /// server sent something (a GOAWAY) rather than assume it.
    public var receivedAt: ContinuousClock.Instant

    public static let data: UInt8 = 0x0, headers: UInt8 = 0x1, priority: UInt8 = 0x2, rstStream: UInt8 = 0x3
    public static let settings: UInt8 = 0x4, ping: UInt8 = 0x6, goAway: UInt8 = 0x7, windowUpdate: UInt8 = 0x8
    public static let continuation: UInt8 = 0x9
    public static let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4, ack: UInt8 = 0x1
}

/// HTTP/2 error codes the tests look for.
public enum HTTP2ErrorCode {
    public static let noError: UInt32 = 0x0, protocolError: UInt32 = 0x1, enhanceYourCalm: UInt32 = 0xb
}

public final class RawHTTP2Client: Sendable {
    private let channel: Channel
    private let state: NIOLockedValueBox<State>

    struct State {
        var inbound = ByteBuffer()
        var frames: [RawFrame] = []
        var closed = false
    }

    /// Connects to `127.0.0.1:port`. With `reading: false` the client never
    /// reads from its socket, like a peer that lets the server's frames pile up.
    public static func connect(port: Int, reading: Bool = true) async throws -> RawHTTP2Client {
        let state = NIOLockedValueBox(State())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(state: state))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawHTTP2Client(channel: channel, state: state)
    }

    private init(channel: Channel, state: NIOLockedValueBox<State>) {
        self.channel = channel
        self.state = state
    }

    // MARK: Sending

    /// Writes bytes; errors after the server closed are ignored (an attacker
    /// does not stop to check).
    public func send(_ bytes: [UInt8]) async {
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The client connection preface and an empty SETTINGS frame.
    public static var preface: [UInt8] {
        Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(RawFrame.settings, flags: 0, stream: 0, [])
    }

    public static func frame(_ type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        var out: [UInt8] = [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags]
        out += be32(stream & 0x7FFF_FFFF)
        return out + payload
    }

    public static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    /// HPACK "literal header field without indexing, new name", no Huffman.
    public static func hpackLiteral(_ name: String, _ value: String) -> [UInt8] {
        [0x00] + hpackString(Array(name.utf8)) + hpackString(Array(value.utf8))
    }

    private static func hpackString(_ bytes: [UInt8]) -> [UInt8] {
        // 7-bit prefix integer (RFC 7541 5.1), Huffman bit off.
        var out: [UInt8] = []
        var n = bytes.count
        if n < 127 {
            out.append(UInt8(n))
        } else {
            out.append(127)
            n -= 127
            while n >= 128 {
                out.append(UInt8(n % 128 + 128))
                n /= 128
            }
            out.append(UInt8(n))
        }
        return out + bytes
    }

    /// The header block of a gRPC request to `path` (literal fields only).
    public static func grpcRequestBlock(path: String = "/api.Echo/Echo", extra: [(String, String)] = []) -> [UInt8] {
        var block = hpackLiteral(":method", "POST") + hpackLiteral(":scheme", "http")
        block += hpackLiteral(":path", path) + hpackLiteral(":authority", "grpc.example.com")
        block += hpackLiteral("content-type", "application/grpc") + hpackLiteral("te", "trailers")
        for (n, v) in extra { block += hpackLiteral(n, v) }
        return block
    }

    /// A gRPC message frame (5-byte prefix) holding an EchoRequest.
    public static func echoMessage(_ content: String) -> [UInt8] {
        let text = Array(content.utf8)
        var field: [UInt8] = [0x0A]
        var n = text.count
        while n >= 128 {
            field.append(UInt8(n % 128 + 128))
            n /= 128
        }
        field.append(UInt8(n))
        field += text
        return [0] + be32(UInt32(field.count)) + field
    }

    // MARK: Receiving

    public var frames: [RawFrame] { state.withLockedValue { $0.frames } }
    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// The first GOAWAY the server sent: its last stream id and error code.
    public var goAway: (lastStreamID: UInt32, errorCode: UInt32)? {
        for f in frames where f.type == RawFrame.goAway && f.payload.count >= 8 {
            let p = f.payload
            let last = UInt32(p[0] & 0x7F) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
            let code = UInt32(p[4]) << 24 | UInt32(p[5]) << 16 | UInt32(p[6]) << 8 | UInt32(p[7])
            return (last, code)
        }
        return nil
    }

    /// Waits until the server has closed the connection; false on timeout.
    public func waitUntilClosed(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if isClosed { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isClosed
    }

    /// Waits until a frame matching `predicate` has arrived.
    public func waitForFrame(timeout: Duration, where predicate: (RawFrame) -> Bool) async -> RawFrame? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let f = frames.first(where: predicate) { return f }
            if isClosed { return frames.first(where: predicate) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    public func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<State>

        init(state: NIOLockedValueBox<State>) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            state.withLockedValue { s in
                s.inbound.writeBuffer(&bytes)
                while s.inbound.readableBytes >= 9,
                      let header = s.inbound.getBytes(at: s.inbound.readerIndex, length: 9) {
                    let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
                    guard s.inbound.readableBytes >= 9 + length else { break }
                    s.inbound.moveReaderIndex(forwardBy: 9)
                    let payload = s.inbound.readBytes(length: length) ?? []
                    let stream = UInt32(header[5] & 0x7F) << 24 | UInt32(header[6]) << 16
                        | UInt32(header[7]) << 8 | UInt32(header[8])
                    s.frames.append(RawFrame(type: header[3], flags: header[4], streamID: stream, payload: payload,
                                            receivedAt: .now))
                }
                s.inbound.discardReadBytes()
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
