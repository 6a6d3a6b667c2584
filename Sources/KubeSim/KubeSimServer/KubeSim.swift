// KubeSim: a local stand-in of the Kubernetes API server, for tests and the demo.
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// How to run a ``KubeSim``.
public struct KubeSimConfiguration: Sendable {
    /// Address to listen on; keep it on loopback.
    public var host: String
    /// Port; 0 picks a free one.
    public var port: Int
    /// Serve HTTPS with a freshly generated CA.
    public var tls: Bool
    /// Bearer tokens accepted; empty accepts anonymous requests. Verified
    /// client certificates are always accepted under TLS.
    public var tokens: [String]
    /// Changes kept for watches to resume from; older versions get 410.
    public var historyLimit: Int
    /// How often watches that allow bookmarks get one (the real server: about a minute).
    public var bookmarkInterval: Duration
    /// Manifest files or directories loaded at start.
    public var manifests: [String]

    /// Creates a configuration; the defaults are HTTP on a free loopback port
    /// with one token, `kubesim-token`.
    public init(host: String = "127.0.0.1", port: Int = 0, tls: Bool = false, tokens: [String] = ["kubesim-token"],
                historyLimit: Int = 1000, bookmarkInterval: Duration = .seconds(60), manifests: [String] = []) {
        self.host = host
        self.port = port
        self.tls = tls
        self.tokens = tokens
        self.historyLimit = historyLimit
        self.bookmarkInterval = bookmarkInterval
        self.manifests = manifests
    }
}

/// A running stand-in of the Kubernetes API. Serves Namespaces, Services,
/// EndpointSlices and Events with the API's list/watch semantics, discovery
/// for kubectl, and a control API under `/kubesim/`.
///
/// ```swift
/// let sim = try await KubeSim.start(KubeSimConfiguration(tls: true))
/// try sim.kubeconfig().write(to: "/tmp/kubesim.kubeconfig")
/// ...
/// try await sim.stop()
/// ```
public final class KubeSim: Sendable {
    /// The objects, for direct manipulation from tests.
    public let store: ObjectStore
    /// The configuration it was started with.
    public let configuration: KubeSimConfiguration
    /// Certificates, when serving HTTPS.
    public let pki: GeneratedPKI?
    /// What loading the manifests did.
    public let manifestReport: ManifestLoader.Report
    /// The port actually bound.
    public let port: Int

    let core: SimulatorCore
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let bookmarkTask: RepeatedTask

    /// Loads manifests, generates certificates if needed, and starts listening.
    public static func start(_ configuration: KubeSimConfiguration = KubeSimConfiguration()) async throws -> KubeSim {
        let store = ObjectStore(historyLimit: configuration.historyLimit)
        let report = try ManifestLoader().load(configuration.manifests, into: store)
        let pki = configuration.tls ? try GeneratedPKI.generate() : nil
        let core = SimulatorCore(store: store, tokens: Set(configuration.tokens))
        // One loop thread: a development server, and one thread keeps every
        // watch write trivially ordered.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let sslContext = try pki.map(Self.makeSSLContext)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(KubeSimHTTPHandler(core: core))
                    }
                }
                .bind(host: configuration.host, port: configuration.port).get()
            let port = channel.localAddress?.port ?? configuration.port
            core.serverAddress.withLock { $0 = "\(configuration.host):\(port)" }
            let interval = TimeAmount.nanoseconds(Int64(configuration.bookmarkInterval.components.seconds) * 1_000_000_000
                                                  + configuration.bookmarkInterval.components.attoseconds / 1_000_000_000)
            let bookmarkTask = group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in store.sendBookmarks() }
            return KubeSim(store: store, configuration: configuration, pki: pki, report: report, port: port,
                           core: core, group: group, channel: channel, bookmarkTask: bookmarkTask)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private init(store: ObjectStore, configuration: KubeSimConfiguration, pki: GeneratedPKI?, report: ManifestLoader.Report,
                 port: Int, core: SimulatorCore, group: MultiThreadedEventLoopGroup, channel: any Channel, bookmarkTask: RepeatedTask) {
        self.store = store
        self.configuration = configuration
        self.pki = pki
        self.manifestReport = report
        self.port = port
        self.core = core
        self.group = group
        self.channel = channel
        self.bookmarkTask = bookmarkTask
    }

    /// `http(s)://HOST:PORT`.
    public var url: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(pki == nil ? "http" : "https")://\(host):\(port)"
    }

    /// A kubeconfig for this server with the first token (and, under TLS,
    /// the CA; `clientCertificate` adds the generated client certificate).
    public func kubeconfig(clientCertificate: Bool = false) -> KubeconfigWriter {
        KubeconfigWriter(
            server: url, caCertificatePEM: pki?.caCertificatePEM,
            token: clientCertificate ? nil : tokens.sorted().first,
            clientCertificate: clientCertificate ? pki.map { ($0.clientCertificatePEM, $0.clientKeyPEM) } : nil)
    }

    /// The accepted bearer tokens.
    public var tokens: Set<String> { core.tokens.withLock { $0 } }

    /// Replaces the accepted bearer tokens (token rotation).
    public func setTokens(_ tokens: [String]) {
        core.tokens.withLock { $0 = Set(tokens) }
    }

    /// Every API request received so far.
    public var requests: [RecordedRequest] { core.log.all }

    /// Forgets the request log.
    public func clearRequests() { core.log.clear() }

    /// Arms a fault for the next matching requests.
    public func injectFault(_ rule: FaultRule) { core.faults.add(rule) }

    /// Disarms every fault.
    public func clearFaults() { core.faults.clear() }

    /// Ends every watch, closes the listener and stops the event loop.
    public func stop() async throws {
        bookmarkTask.cancel()
        store.dropWatches(graceful: false)
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    private static func makeSSLContext(_ pki: GeneratedPKI) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKeyPEM.utf8), format: .pem)))
        // Client certificates are optional (tokens work too) but, when sent,
        // must be signed by our CA.
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertificatePEM.utf8)))
        return try NIOSSLContext(configuration: tls)
    }
}
