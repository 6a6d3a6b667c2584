// A bare TLS handshake with NIOSSL, to see from the client side what a
// server presents: its certificate, the protocol and the ALPN choice.

import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// What the server showed in one handshake.
public struct TLSHandshakeResult: Sendable {
    /// The leaf certificate's serial number, upper-case hex.
    public var serial: String
    /// The leaf certificate's DNS subject alternative names.
    public var dnsNames: [String]
    /// The negotiated ALPN protocol, if any.
    public var applicationProtocol: String?
    /// The negotiated TLS version.
    public var version: TLSVersion?
}

/// One-shot TLS client handshakes against a local port.
///
/// ```swift
/// let shown = try await TLSProbe.handshake(port: proxy.port, serverName: "grpc.example.com",
///                                          trustRootsFile: certificates.caCertificate)
/// #expect(shown.serial == issued.serial)
/// ```
public enum TLSProbe {
    /// Connects, handshakes (TLS 1.2+, ALPN h2), returns what the server
    /// presented, and closes. Throws if the handshake fails.
    ///
    /// - Parameters:
    ///   - serverName: the SNI name (nil: none is sent); the certificate is
    ///     verified against the CA but not against this name, so a default
    ///     certificate for another name is reported rather than refused.
    ///   - maximumVersion: e.g. `.tlsv12` to test TLS 1.2 policy.
    ///   - cipherSuites: OpenSSL cipher string for TLS 1.2 (nil: library default).
    public static func handshake(
        port: Int,
        serverName: String?,
        trustRootsFile: String,
        maximumVersion: TLSVersion? = nil,
        cipherSuites: String? = nil,
        clientCertificate: (certificate: String, privateKey: String)? = nil
    ) async throws -> TLSHandshakeResult {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(trustRootsFile)
        configuration.certificateVerification = .noHostnameVerification
        configuration.applicationProtocols = ["h2"]
        if let maximumVersion { configuration.maximumTLSVersion = maximumVersion }
        if let cipherSuites { configuration.cipherSuites = cipherSuites }
        if let clientCertificate {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate.certificate)
                .map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientCertificate.privateKey, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: TLSHandshakeResult.self)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(tls: tls, promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            promise.fail(TestUtilityError("TLSProbe: no handshake result within 10 s"))
        }
        defer { timeout.cancel() }
        do {
            let result = try await promise.futureResult.get()
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let tls: NIOSSLClientHandler
    let promise: EventLoopPromise<TLSHandshakeResult>

    init(tls: NIOSSLClientHandler, promise: EventLoopPromise<TLSHandshakeResult>) {
        self.tls = tls
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let negotiated)? = event as? TLSUserEvent {
            guard let peer = tls.peerCertificate else {
                promise.fail(TestUtilityError("TLSProbe: no server certificate"))
                return
            }
            let serial = peer.serialNumber.map { b in
                let h = String(b, radix: 16, uppercase: true)
                return h.count == 1 ? "0" + h : h
            }.joined()
            var dns: [String] = []
            for name in peer._subjectAlternativeNames() {
                if name.nameType == .dnsName {
                    dns.append(String(decoding: name.contents, as: UTF8.self))
                }
            }
            promise.succeed(TLSHandshakeResult(serial: serial, dnsNames: dns, applicationProtocol: negotiated,
                                               version: tls.tlsVersion))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TestUtilityError("TLSProbe: connection closed before the handshake completed"))
        context.fireChannelInactive()
    }
}
