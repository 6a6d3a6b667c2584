// /healthz, /readyz and /metrics over a deliberately tiny HTTP/1.1 responder.
import NIOCore
import NIOPosix

/// Serves the controller's probes and metrics. It answers one request per
/// connection and closes it, which is all kubelet and Prometheus need, so it
/// needs no HTTP library.
public final class StatusServer: Sendable {
    /// An answer: status code, content type and body.
    public typealias Response = (status: Int, contentType: String, body: String)
    /// Maps a request path to a response.
    public typealias Route = @Sendable (_ path: String) -> Response

    private let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    /// The bound address (port 0 resolved).
    public var localAddress: SocketAddress? { channel.localAddress }

    /// Binds `host:port` and answers with `route`.
    public static func start(host: String, port: Int, group: any EventLoopGroup,
                             route: @escaping Route) async throws -> StatusServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StatusRequestHandler(route: route))
                }
            }
            .bind(host: host, port: port)
            .get()
        return StatusServer(channel: channel)
    }

    /// Stops listening.
    public func close() async {
        try? await channel.close()
    }
}

final class StatusRequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let route: StatusServer.Route
    private var head = ""
    private var answered = false

    init(route: @escaping StatusServer.Route) { self.route = route }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !answered else { return }
        head += buffer.readString(length: buffer.readableBytes) ?? ""
        guard head.contains("\r\n\r\n") || head.contains("\n\n") || head.utf8.count > 8192 else { return }
        answered = true
        let words = head.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        let response: StatusServer.Response
        if words.count >= 2, words[0] == "GET" || words[0] == "HEAD" {
            let path = String(words[1].prefix { $0 != "?" })
            response = route(path)
        } else {
            response = (405, "text/plain", "only GET\n")
        }
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][response.status] ?? "Status"
        let body = words.first == "HEAD" ? "" : response.body
        let text = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\n"
            + "Content-Length: \(response.body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
