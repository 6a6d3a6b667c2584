// The downstream listener: TCP, optional TLS with ALPN, then one HTTP/2
// session per connection on the worker of the connection's event loop.
import NIOCore
import NIOPosix
import NIOSSL

enum Listener {
    static func bind(_ proxy: Proxy) async throws -> Channel {
        let tls = proxy.tlsContext
        return try await ServerBootstrap(group: proxy.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let worker = proxy.worker(for: channel.eventLoop)
                    guard ConnectionAdmission.admit(channel, proxy: proxy, worker: worker) else { return }
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(
                            timeout: .nanoseconds(proxy.config.limits.tlsHandshakeTimeout.nanoseconds), worker: worker))
                    }
                    try channel.pipeline.syncOperations.addHandler(DownstreamConnection(worker: worker))
                }
            }
            .bind(host: proxy.config.listen.host, port: proxy.config.listen.port)
            .get()
    }
}

/// Certificate and key files → a TLS server context.
public enum TLSFiles {
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// TLS 1.2 or later, ALPN `h2` (and `http/1.1`, so that HTTP/1 clients
    /// get a readable error instead of a handshake failure).
    public static func makeServerContext(certificate: String, privateKey: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw LoadError(description: "tls.certificate: cannot load \(certificate): \(error)")
        }
        guard !chain.isEmpty else { throw LoadError(description: "tls.certificate: \(certificate) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
        } catch {
            throw LoadError(description: "tls.privateKey: cannot load \(privateKey): \(error)")
        }
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        config.minimumTLSVersion = .tlsv12
        config.applicationProtocols = ["h2", "http/1.1"]
        do {
            return try NIOSSLContext(configuration: config)
        } catch {
            throw LoadError(description: "tls: the certificate and private key do not make a usable pair: \(error)")
        }
    }
}
