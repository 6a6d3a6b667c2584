// What an upstream connection carries: proxied RPCs, and the proxy's own
// health-check RPCs, through the same interface.
import NIOCore

protocol UpstreamStream: AnyObject {
    var request: HeaderBlock { get }
    var requestHasBody: Bool { get }
    /// The upstream sent response headers (later HEADERS are trailers).
    var upstreamAnswered: Bool { get }
    func submitted(on connection: UpstreamConnection, id: Int32)
    func requestChunk(max: Int) -> BodyChunk
    func takeRequestBytes(_ count: Int) -> ByteBuffer
    func upstreamHeaders(_ headers: HeaderBlock, endStream: Bool)
    func upstreamData(_ data: ByteBuffer)
    func upstreamTrailers(_ trailers: HeaderBlock)
    func upstreamEnded()
    /// The upstream stream closed; `errorCode` is its RST_STREAM code or 0.
    /// `connectionLost`: the connection went away under it; `frozen`: the
    /// proxy closed it because the backend stopped answering (keepalive), so
    /// an RPC it never answered may go to another endpoint.
    func upstreamClosed(errorCode: UInt32, connectionLost: Bool, frozen: Bool)
    func attemptFailed(retryable: Bool, status: GRPCStatusCode, reason: String)
}

extension ProxyStream: UpstreamStream {}
