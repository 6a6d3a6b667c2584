// Flow control as the proxy drives nghttp2, between two real sessions wired
// back to back in memory: connection windows re-open as bytes arrive,
// stream windows only as the other side takes them.
import CNGHTTP2
import NIOCore
import Testing
@testable import DataPlane

/// One end of the wire: collects what its session writes and records what
/// the peer sent it.
final class FlowControlPeer: HTTP2OutboundSink, HTTP2SessionDelegate {
    var session: HTTP2Session!
    var wire: [ByteBuffer] = []
    /// Request body bytes still to send, per stream (client side).
    var toSend: [Int32: Int] = [:]
    /// DATA bytes received, per stream (server side).
    var received: [Int32: Int] = [:]

    func write(_ buffer: ByteBuffer) { wire.append(buffer) }
    func sessionNeedsFlush() {}

    func session(_ s: HTTP2Session, beginHeadersOn streamID: Int32) {}
    func session(_ s: HTTP2Session, header name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, on streamID: Int32) {}
    func session(_ s: HTTP2Session, headersCompleteOn streamID: Int32, endStream: Bool) {}
    func session(_ s: HTTP2Session, data: ByteBuffer, on streamID: Int32) { received[streamID, default: 0] += data.readableBytes }
    func session(_ s: HTTP2Session, endStreamOn streamID: Int32) {}
    func session(_ s: HTTP2Session, streamClosed streamID: Int32, errorCode: UInt32) {}
    func session(_ s: HTTP2Session, goAwayLastStreamID: Int32, errorCode: UInt32) {}
    func sessionReceivedSettings(_ s: HTTP2Session) {}
    func session(_ s: HTTP2Session, beginFrame type: UInt8, on streamID: Int32) {}
    func session(_ s: HTTP2Session, controlFrame type: UInt8, on streamID: Int32) {}
    func session(_ s: HTTP2Session, peerReset streamID: Int32, errorCode: UInt32) {}
    func sessionReceivedPingAck(_ s: HTTP2Session) {}
    func session(_ s: HTTP2Session, readableBytesOn streamID: Int32, max: Int) -> BodyChunk {
        let left = toSend[streamID] ?? 0
        return left == 0 ? .deferred : .data(min(left, max))
    }
    func session(_ s: HTTP2Session, takeBytes count: Int, from streamID: Int32) -> ByteBuffer? {
        toSend[streamID, default: 0] -= count
        return ByteBuffer(repeating: 0x61, count: count)
    }
}

@Suite struct HTTP2SessionFlowControlTests {
    static let streamWindow: UInt32 = 65_535
    static let connectionWindow: Int32 = 131_070

    /// A client and a server session, the client with `streams` requests of
    /// `bodyBytes` each, pumped until nothing more moves.
    static func pair(streams: Int, bodyBytes: Int) throws -> (client: FlowControlPeer, server: FlowControlPeer, ids: [Int32]) {
        let parameters = HTTP2Parameters(maxConcurrentStreams: 100, initialStreamWindow: streamWindow,
                                         connectionWindow: connectionWindow)
        let client = FlowControlPeer()
        let server = FlowControlPeer()
        client.session = try HTTP2Session(role: .client, parameters: parameters, allocator: ByteBufferAllocator())
        server.session = try HTTP2Session(role: .server, parameters: parameters, allocator: ByteBufferAllocator())
        for end in [client, server] {
            end.session.delegate = end
            end.session.sink = end
        }
        let head = HeaderBlock([(":method", "POST"), (":scheme", "http"), (":path", "/a.B/C"),
                                (":authority", "x"), ("content-type", "application/grpc")])
        var ids: [Int32] = []
        for _ in 0..<streams {
            let id = try client.session.submitRequest(head, hasBody: true, including: { _ in true })
            client.toSend[id] = bodyBytes
            ids.append(id)
        }
        try pump(client, server)
        return (client, server, ids)
    }

    static func pump(_ client: FlowControlPeer, _ server: FlowControlPeer) throws {
        for _ in 0..<1000 {
            _ = try client.session.flush()
            _ = try server.session.flush()
            if client.wire.isEmpty && server.wire.isEmpty { return }
            for b in client.wire { try server.session.receive(b) }
            client.wire.removeAll()
            for b in server.wire { try client.session.receive(b) }
            server.wire.removeAll()
            for id in client.toSend.keys where (client.toSend[id] ?? 0) > 0 { client.session.resumeData(id) }
        }
        Issue.record("the sessions never went quiet")
    }

    @Test func theConnectionWindowReopensAsBytesArrive() throws {
        // 8 streams × one stream window is 4 × the connection window: all of
        // it arrives although the receiver takes nothing.
        let (_, server, ids) = try Self.pair(streams: 8, bodyBytes: 1 << 20)
        for id in ids { #expect(server.received[id] == Int(Self.streamWindow), "stream \(id): \(server.received[id] ?? 0)") }
        #expect(server.received.values.reduce(0, +) > Int(Self.connectionWindow))
    }

    @Test func aStreamWindowReopensOnlyForWhatWasTaken() throws {
        let (client, server, ids) = try Self.pair(streams: 4, bodyBytes: 1 << 20)
        // The receiver takes 40,000 bytes of the first stream only.
        server.session.consume(40_000, on: ids[0])
        try Self.pump(client, server)
        #expect(server.received[ids[0]] == Int(Self.streamWindow) + 40_000)
        for id in ids.dropFirst() { #expect(server.received[id] == Int(Self.streamWindow)) }
    }
}
