// The HTTP/1.1 admin and health ports: `/healthz` for load balancers and
// kubelet probes; `/ready`, `/clusters`, `/config_dump`, `/stats/prometheus`
// and `/healthcheck/fail|ok` for operators.
import NIOCore
import NIOHTTP1
import NIOPosix

enum AdminServer {
    enum Kind: Sendable { case health, admin }

    static func bind(_ proxy: Proxy, at address: HostPort, kind: Kind) async throws -> Channel {
        try await ServerBootstrap(group: proxy.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(proxy: proxy, kind: kind))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}

struct AdminResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: String

    static func text(_ status: HTTPResponseStatus, _ body: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/plain; charset=utf-8", body: body)
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let proxy: Proxy
    let kind: AdminServer.Kind
    private var head: HTTPRequestHead?

    init(proxy: Proxy, kind: AdminServer.Kind) {
        self.proxy = proxy
        self.kind = kind
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            respond(head).hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = bound.value
                let response = (try? result.get()) ?? .text(.internalServerError, "internal error\n")
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ r: AdminResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: r.contentType)
        headers.add(name: "content-length", value: String(r.body.utf8.count))
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: r.status, headers: headers))),
                      promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: r.body.utf8.count)
        buffer.writeString(r.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    private func respond(_ head: HTTPRequestHead) -> EventLoopFuture<AdminResponse> {
        let loop = proxy.group.any()
        let proxy = self.proxy
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        func now(_ r: AdminResponse) -> EventLoopFuture<AdminResponse> { loop.makeSucceededFuture(r) }

        if kind == .health {
            guard path == "/healthz" else { return now(.text(.notFound, "not found; try /healthz\n")) }
            return now(healthz())
        }
        switch (head.method, path) {
        case (.GET, "/"): return now(.text(.ok, AdminPages.index))
        case (.GET, "/ready"): return now(ready())
        case (.GET, "/healthz"): return now(healthz())
        case (.POST, "/healthcheck/fail"):
            proxy.healthFailed.store(true, ordering: .relaxed)
            return now(.text(.ok, "OK\n"))
        case (.POST, "/healthcheck/ok"):
            proxy.healthFailed.store(false, ordering: .relaxed)
            return now(.text(.ok, "OK\n"))
        case (.GET, "/clusters"):
            return AdminPages.gather(proxy).map { AdminResponse(status: .ok, contentType: "application/json",
                                                                 body: AdminPages.clustersJSON($0)) }
        case (.GET, "/config_dump"):
            return AdminPages.gather(proxy).map { AdminResponse(status: .ok, contentType: "application/json",
                                                                 body: AdminPages.configDump(proxy, $0)) }
        case (.GET, "/stats/prometheus"):
            return AdminPages.gather(proxy).map {
                AdminResponse(status: .ok, contentType: "text/plain; version=0.0.4",
                              body: AdminPages.prometheus(proxy, $0))
            }
        case (_, "/healthcheck/fail"), (_, "/healthcheck/ok"):
            return now(.text(.methodNotAllowed, "use POST\n"))
        default:
            return now(.text(.notFound, "not found\n\n" + AdminPages.index))
        }
    }

    private func ready() -> AdminResponse {
        switch proxy.phase {
        case .serving:
            guard let m = proxy.membershipStatus else { return .text(.ok, "LIVE\n") }
            if !m.received { return .text(.serviceUnavailable, "PRE_INITIALIZING: no membership from the controller yet\n") }
            if !m.connected {
                return .text(.ok, "LIVE (controller unreachable: serving membership version \(m.version))\n")
            }
            return .text(.ok, "LIVE\n")
        case .starting: return .text(.serviceUnavailable, "PRE_INITIALIZING\n")
        case .draining: return .text(.serviceUnavailable, "DRAINING\n")
        case .stopped: return .text(.serviceUnavailable, "STOPPED\n")
        }
    }

    private func healthz() -> AdminResponse {
        if proxy.healthFailed.load(ordering: .relaxed) {
            return .text(.serviceUnavailable, "health check failed by /healthcheck/fail\n")
        }
        let r = ready()
        return r.status == .ok ? .text(.ok, "OK\n") : r
    }
}
