// The NIO channel handler that reads HTTP/1.1 requests and writes KubeSim's answers.
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One connection's request handling. Runs on the connection's event loop.
final class KubeSimHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private struct ActiveWatch {
        var id: Int?
        var timer: Scheduled<Void>?
    }

    private let core: SimulatorCore
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var watch: ActiveWatch?

    init(core: SimulatorCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        endWatch()
        context.fireChannelInactive()
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = SimRequest.splitTarget(head.uri)
        let request = SimRequest(
            method: head.method.rawValue, path: path, query: query,
            headers: head.headers.map { ($0.name, $0.value) }, body: Data(body.readableBytesView),
            hasVerifiedClientCertificate: hasClientCertificate(context))
        switch core.admit(request) {
        case .respond(let response):
            write(response, for: head, context: context)
        case .serve:
            write(core.serve(request), for: head, context: context)
        case .delay(let milliseconds, let response):
            _ = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                self.write(response ?? self.core.serve(request), for: head, context: context)
            }
        }
    }

    private func write(_ response: SimResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch response {
        case .json(let status, let body, let extraHeaders):
            writeComplete(status: status, contentType: "application/json", body: body.serializedData(),
                          extraHeaders: extraHeaders, for: head, context: context)
        case .text(let status, let body):
            writeComplete(status: status, contentType: "text/plain; charset=utf-8", body: Data(body.utf8),
                          extraHeaders: [], for: head, context: context)
        case .watch(let request, let timeoutSeconds):
            startWatch(request, timeoutSeconds: timeoutSeconds, head: head, context: context)
        }
    }

    private func writeComplete(status: Int, contentType: String, body: Data, extraHeaders: [(String, String)],
                               for head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count)),
                                   ("Cache-Control", "no-cache, private")])
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }

    /// Registers the watch first and writes the response head right after:
    /// the store's replayed events are queued on this loop with `execute`,
    /// so they can only follow the head. A refusal (410 as status) is still
    /// an ordinary error response.
    private func startWatch(_ request: WatchRequest, timeoutSeconds: Int, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let sink = ChannelWatchSink(channel: context.channel, onFinish: { loopBound.value.endWatch() })
        let id: Int?
        do {
            id = try core.store.startWatch(request, sink: sink)
        } catch {
            write(.error(error), for: head, context: context)
            return
        }
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")])
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        guard let id else { return }
        let store = core.store
        let timer = context.eventLoop.scheduleTask(in: .seconds(Int64(timeoutSeconds))) {
            store.stopWatch(id)
            sink.close(graceful: true)
        }
        watch = ActiveWatch(id: id, timer: timer)
    }

    private func endWatch() {
        guard let watch else { return }
        self.watch = nil
        watch.timer?.cancel()
        if let id = watch.id { core.store.stopWatch(id) }
    }

    private func hasClientCertificate(_ context: ChannelHandlerContext) -> Bool {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else { return false }
        return tls.peerCertificate != nil
    }
}
