// TLS on a downstream connection: read the SNI name from the ClientHello,
// add the TLS handler of the certificate it selects, and once the handshake
// is done hand the verified client identity to the HTTP/2 connection.
//
// The name is read by NIO's SNIHandler before any TLS state exists (the
// way Envoy's TLS inspector picks a filter chain), rather than by the TLS
// library's certificate callback, so that the proxy itself knows which
// certificate a connection got: its URI SANs are the `By=` of the
// x-forwarded-client-cert header, and every certificate has its own fully
// checked context.
import NIOCore
import NIOSSL
import NIOTLS

enum TLSPipeline {
    /// Adds the SNI inspection; the TLS handler then goes in front of
    /// `anchor` (the next handler, added after this call). Uses the
    /// certificate set in force at accept time.
    static func configure(_ channel: Channel, store: TLSCertificateStore, downstream: DownstreamConnection,
                          before anchor: ChannelHandler) throws {
        let set = store.certificates
        let sni = SNIHandler { result in
            let name: String? = if case .hostname(let h) = result { h } else { nil }
            let entry = set.entries[set.index(forServerName: name)]
            let tls = NIOSSLServerHandler(context: entry.context)
            let identity = TLSHandshakeObserver(tls: tls, store: store, entry: entry, downstream: downstream)
            do {
                try channel.pipeline.syncOperations.addHandlers([tls, identity], position: .before(anchor))
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(sni))
    }
}

/// Sits behind the TLS handler until the handshake ends: counts failed
/// handshakes, and on success gives the connection its XFCC value. Then it
/// takes itself out of the pipeline, so reads skip it.
final class TLSHandshakeObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let tls: NIOSSLServerHandler
    private let store: TLSCertificateStore
    private let entry: TLSCertificateSet.Entry
    private let downstream: DownstreamConnection
    private var failed = false

    init(tls: NIOSSLServerHandler, store: TLSCertificateStore, entry: TLSCertificateSet.Entry,
         downstream: DownstreamConnection) {
        self.tls = tls
        self.store = store
        self.entry = entry
        self.downstream = downstream
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            if store.config.clientAuth != .off, let peer = tls.peerCertificate {
                do {
                    downstream.forwardedClientCertificate = try ForwardedClientCertificate.value(
                        peer: peer, forwardedBy: entry.forwardedBy)
                } catch {
                    // The TLS library verified it, so this is a certificate
                    // we cannot describe: pass no identity rather than a wrong one.
                    downstream.worker.logger.warning("tls: cannot describe the client certificate: \(error)")
                }
            }
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !failed {
            failed = true
            store.handshakeFailures.wrappingIncrement(ordering: .relaxed)
            downstream.worker.logger.debug("tls: handshake failed: \(error)")
        }
        context.fireErrorCaught(error)
    }
}
