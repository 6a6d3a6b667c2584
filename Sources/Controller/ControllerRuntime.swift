// The controller's main loop: watch → translate → publish, plus its servers.
import Foundation
import KubeClient
import Logging
import Membership
import NIOCore
import NIOPosix

/// Settings of a controller process.
public struct ControllerOptions: Sendable {
    /// Namespace to watch; `nil` for all namespaces.
    public var namespace: String?
    /// Unix socket the proxies connect to.
    public var socketPath: String
    /// Address of `/healthz`, `/readyz` and `/metrics`.
    public var httpHost: String
    /// Port of that address; 0 picks one.
    public var httpPort: Int
    /// How long a burst of changes may accumulate before one publish.
    public var coalescing: Duration
    /// Informer timings.
    public var informer: InformerOptions

    /// Creates options.
    public init(namespace: String? = nil, socketPath: String, httpHost: String = "127.0.0.1", httpPort: Int = 8091,
                coalescing: Duration = .milliseconds(5), informer: InformerOptions = InformerOptions()) {
        self.namespace = namespace
        self.socketPath = socketPath
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.coalescing = coalescing
        self.informer = informer
    }
}

/// Runs the controller until cancelled.
///
/// ```swift
/// let runtime = ControllerRuntime(client: KubeClient(config: config), options: options)
/// try await runtime.run()
/// ```
public final class ControllerRuntime: Sendable {
    /// Counters shown on `/metrics`.
    public let metrics = ControllerMetrics()
    /// The membership in force and the proxies' connections.
    public let publisher: MembershipPublisher
    let client: KubeClient
    let options: ControllerOptions
    let logger: Logger

    /// Creates a runtime over a client.
    public init(client: KubeClient, options: ControllerOptions, logger: Logger = Logger(label: "portico.controller")) {
        self.client = client
        self.options = options
        self.logger = logger
        self.publisher = MembershipPublisher(metrics: metrics, logger: logger)
    }

    /// Serves the socket and the status port, watches and publishes until
    /// the calling task is cancelled.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let watch = ClusterObjectsWatch(client: client, namespace: options.namespace, metrics: metrics,
                                        options: options.informer, logger: logger)
        let reporter = ProblemReporter(client: client, metrics: metrics, logger: logger)
        let server: MembershipServer
        let status: StatusServer
        do {
            server = try await MembershipServer.start(path: options.socketPath, publisher: publisher, group: group,
                                                      logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw MembershipServerError("cannot listen on the socket \(options.socketPath): \(error)")
        }
        do {
            status = try await StatusServer.start(host: options.httpHost, port: options.httpPort, group: group,
                                                  route: statusRoute(watch: watch))
        } catch {
            await server.close()
            try? await group.shutdownGracefully()
            throw MembershipServerError("cannot listen on \(options.httpHost):\(options.httpPort) for /healthz, /readyz and /metrics: \(error)")
        }
        logger.info("serving membership", metadata: [
            "socket": "\(options.socketPath)", "http": "\(status.localAddress.map { "\($0)" } ?? "?")",
            "namespace": "\(options.namespace ?? "(all)")"])

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await watch.run() }
            tasks.addTask { await self.publishLoop(watch: watch, reporter: reporter) }
            await tasks.next()
            tasks.cancelAll()
        }
        await server.close()
        await status.close()
        try? await group.shutdownGracefully()
    }

    /// Waits for both informers, then publishes after every burst of changes.
    private func publishLoop(watch: ClusterObjectsWatch, reporter: ProblemReporter) async {
        await watch.waitForSync()
        guard !Task.isCancelled else { return }
        logger.info("informers synced", metadata: [
            "services": "\(watch.services.store.count)", "endpointSlices": "\(watch.slices.store.count)"])
        var pending = true
        var changes = watch.changes.makeAsyncIterator()
        while !Task.isCancelled {
            if !pending {
                guard await changes.next() != nil else { return }
            }
            pending = false
            // Let the rest of a burst (a rollout touches slices and Services
            // together) land in the caches before translating once.
            try? await Task.sleep(for: options.coalescing)
            let translation = watch.translate()
            if let version = publisher.publish(translation.clusters) {
                logger.info("published membership", metadata: [
                    "version": "\(version)", "clusters": "\(translation.clusters.count)",
                    "endpoints": "\(translation.clusters.reduce(0) { $0 + $1.endpoints.count })"])
            }
            // Writing Events must not hold up the next publish.
            let fresh = reporter.takeNew(translation.problems)
            if !fresh.isEmpty { Task { await reporter.record(fresh) } }
        }
    }

    private func statusRoute(watch: ClusterObjectsWatch) -> StatusServer.Route {
        let metrics = self.metrics
        let publisher = self.publisher
        return { path in
            switch path {
            case "/healthz", "/livez":
                return (200, "text/plain", "ok\n")
            case "/readyz":
                if watch.hasSynced && publisher.hasPublished {
                    return (200, "text/plain", "ok: version \(publisher.version)\n")
                }
                return (503, "text/plain", "waiting for the first sync of Services and EndpointSlices\n")
            case "/metrics":
                return (200, "text/plain; version=0.0.4", metrics.prometheusText())
            default:
                return (404, "text/plain", "not found; try /healthz, /readyz or /metrics\n")
            }
        }
    }
}

/// `--print`: what the controller would publish now, as a user sees it.
public enum MembershipPrinter {
    /// Lists Services and EndpointSlices once and translates them.
    public static func translateOnce(client: KubeClient, namespace: String?) async throws -> Translation {
        async let services = client.listAll(Service.self, namespace: namespace)
        async let slices = client.listAll(EndpointSlice.self, namespace: namespace)
        return MembershipTranslator.translate(services: try await services.items, slices: try await slices.items)
    }

    /// `{"clusters": [...], "skipped": [...]}`, pretty-printed with sorted keys.
    public static func json(_ translation: Translation) throws -> String {
        struct Skipped: Encodable { var service: String; var reason: String; var message: String }
        struct Output: Encodable { var clusters: [MembershipCluster]; var skipped: [Skipped] }
        let output = Output(clusters: translation.clusters, skipped: translation.problems.map {
            Skipped(service: $0.service.description, reason: $0.reason.rawValue, message: $0.message)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
