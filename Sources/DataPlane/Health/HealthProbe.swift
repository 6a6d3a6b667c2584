// One grpc.health.v1.Health/Check RPC to one endpoint, sent over the
// prober's dedicated connection.
import CNGHTTP2
import NIOCore

final class HealthProbe: UpstreamStream {
    let request: HeaderBlock
    private var body = BodyQueue()
    private var response = ByteBuffer()
    private(set) var upstreamAnswered = false
    private var status: String?
    private var connection: UpstreamConnection?
    private var streamID: Int32 = 0
    private var timer: Scheduled<Void>?
    private var done = false
    private let completion: (_ healthy: Bool, _ detail: String, _ timedOut: Bool) -> Void

    init(on connection: UpstreamConnection, authority: String, service: String, timeout: TimeAmount, worker: Worker,
         completion: @escaping (_ healthy: Bool, _ detail: String, _ timedOut: Bool) -> Void) {
        self.completion = completion
        let ms = max(timeout.nanoseconds / 1_000_000, 1)
        request = HeaderBlock([
            (":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/Check"),
            (":authority", authority), ("content-type", "application/grpc"), ("te", "trailers"),
            ("grpc-timeout", "\(ms)m"), ("user-agent", "portico-health-check"),
        ])
        // HealthCheckRequest { string service = 1; } behind the 5-byte gRPC prefix.
        let s = Array(service.utf8)
        var message: [UInt8] = []
        if !s.isEmpty { message = [0x0A] + Self.varint(s.count) + s }
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0))
        frame.writeInteger(UInt32(message.count))
        frame.writeBytes(message)
        body.append(frame)
        body.ended = true
        timer = worker.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self else { return }
            self.cancel()
            self.finish(false, "timed out after \(ms) ms", timedOut: true)
            worker.flushDirty()
        }
        self.connection = connection
        connection.attach(self)
    }

    /// Withdraws the RPC (timeout, or the prober stopped).
    func cancel() {
        guard let c = connection else { return }
        if streamID != 0, let s = c.session { s.resetStream(streamID, errorCode: NGHTTP2_CANCEL.rawValue) }
        c.detach(self, id: streamID)
        connection = nil
        timer?.cancel()
    }

    static func varint(_ n: Int) -> [UInt8] {
        var n = UInt64(n)
        var out: [UInt8] = []
        repeat {
            var b = UInt8(n & 0x7F)
            n >>= 7
            if n != 0 { b |= 0x80 }
            out.append(b)
        } while n != 0
        return out
    }

    private func finish(_ healthy: Bool, _ detail: String, timedOut: Bool = false) {
        guard !done else { return }
        done = true
        timer?.cancel()
        connection = nil
        completion(healthy, detail, timedOut)
    }

    /// SERVING is field 1 (enum) = 1 in the first message of the response.
    private var servingStatus: Int? {
        var r = response
        guard r.readableBytes >= 5, let _ = r.readInteger(as: UInt8.self),
              let len = r.readInteger(as: UInt32.self), r.readableBytes >= Int(len) else { return nil }
        var message = r.readSlice(length: Int(len))!
        var status = 0
        while let tag = message.readInteger(as: UInt8.self) {
            guard tag == 0x08, let v = message.readInteger(as: UInt8.self) else { break }
            status = Int(v & 0x7F)
        }
        return status
    }

    // MARK: UpstreamStream

    var requestHasBody: Bool { true }
    func submitted(on connection: UpstreamConnection, id: Int32) { streamID = id }
    func requestChunk(max: Int) -> BodyChunk { body.nextChunk(max: max) }
    func takeRequestBytes(_ count: Int) -> ByteBuffer { body.take(count) }

    func upstreamHeaders(_ headers: HeaderBlock, endStream: Bool) {
        upstreamAnswered = true
        if endStream { status = headers.value(of: "grpc-status") }
    }

    func upstreamData(_ data: ByteBuffer) {
        var data = data
        if let c = connection, let s = c.session {
            s.consume(data.readableBytes, on: streamID)
        }
        // A health response is a few bytes; a backend sending more is not
        // buffered without bound.
        if response.readableBytes < 4096 { response.writeBuffer(&data) }
    }

    func upstreamTrailers(_ trailers: HeaderBlock) { status = trailers.value(of: "grpc-status") }
    func upstreamEnded() {}

    func upstreamClosed(errorCode: UInt32, connectionLost: Bool, frozen: Bool) {
        if connectionLost { return finish(false, "connection lost") }
        guard let status else { return finish(false, "stream reset (HTTP/2 error \(errorCode))") }
        guard status == "0" else { return finish(false, "grpc-status \(status)") }
        switch servingStatus {
        case 1: finish(true, "SERVING")
        case 2: finish(false, "NOT_SERVING")
        case 3: finish(false, "SERVICE_UNKNOWN")
        default: finish(false, "UNKNOWN")
        }
    }

    func attemptFailed(retryable: Bool, status: GRPCStatusCode, reason: String) {
        finish(false, reason)
    }
}
