// The downstream listener: TCP, optional TLS with ALPN, then one HTTP/2
// session per connection on the worker of the connection's event loop.
import NIOCore
import NIOPosix

enum Listener {
    static func bind(_ proxy: Proxy) async throws -> Channel {
        let tls = proxy.tls
        return try await ServerBootstrap(group: proxy.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // One read per connection per loop turn: a client uploading as
            // fast as it can gets its turn like every other, not four.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let worker = proxy.worker(for: channel.eventLoop)
                    guard ConnectionAdmission.admit(channel, proxy: proxy, worker: worker) else { return }
                    try worker.limits.tcp.apply(to: channel)
                    let downstream = DownstreamConnection(worker: worker)
                    if let tls {
                        // The deadline runs from accept; the TLS handler goes in
                        // before it once the ClientHello has chosen a certificate.
                        let deadline = HandshakeDeadline(
                            timeout: .nanoseconds(proxy.config.limits.tlsHandshakeTimeout.nanoseconds), worker: worker)
                        try TLSPipeline.configure(channel, store: tls, downstream: downstream, before: deadline)
                        try channel.pipeline.syncOperations.addHandler(deadline)
                    }
                    try channel.pipeline.syncOperations.addHandler(downstream)
                }
            }
            .bind(host: proxy.config.listen.host, port: proxy.config.listen.port)
            .get()
    }
}
