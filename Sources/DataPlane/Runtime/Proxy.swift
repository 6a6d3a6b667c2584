// The running proxy: event loops with their workers, the listeners, and
// the lifecycle (ready, draining, stopped).
import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where the proxy is in its life; `/healthz` and `/ready` report it.
public enum ProxyPhase: Int, Sendable {
    case starting = 0, serving = 1, draining = 2, stopped = 3
}

public final class Proxy: Sendable {
    public let config: ProxyConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let workers: [NIOLoopBound<Worker>]
    /// Active health checking, once for the whole proxy (on the first loop).
    private let healthChecks: NIOLoopBound<HealthCheckService>
    private let workersByLoop: [ObjectIdentifier: NIOLoopBound<Worker>]
    private let phaseValue = ManagedAtomic<Int>(ProxyPhase.starting.rawValue)
    /// `POST /healthcheck/fail` sets this: `/healthz` fails while serving on.
    let healthFailed = ManagedAtomic<Bool>(false)
    /// The listener's certificates (nil: h2c), reloaded as their files change.
    let tls: TLSCertificateStore?
    private let channels = NIOLockedValueBox<[Channel]>([])
    /// Accepted client connections, all workers together (`limits.maxConnections`).
    let openConnections = ManagedAtomic<Int>(0)
    let membershipVersion = NIOLockedValueBox<String>("static")
    private let membership = NIOLockedValueBox<MembershipClient?>(nil)
    /// False until the first membership arrives when a socket is configured.
    private let haveMembership = ManagedAtomic<Bool>(true)

    public var phase: ProxyPhase { ProxyPhase(rawValue: phaseValue.load(ordering: .relaxed)) ?? .stopped }

    /// Prepares event loops and workers; nothing listens until `start`.
    /// Throws a `ConfigError`-style error for unusable TLS files.
    public init(config: ProxyConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        self.tls = try config.tls.map { try TLSCertificateStore(config: $0, logger: logger) }
        var limits = WorkerLimits()
        limits.downstreamHTTP2.maxConcurrentStreams = config.http2.maxConcurrentStreams
        limits.downstreamHTTP2.initialStreamWindow = config.http2.initialStreamWindowSize
        limits.downstreamHTTP2.connectionWindow = Int32(config.http2.connectionWindowSize)
        limits.downstreamHTTP2.maxHeaderListSize = config.http2.maxHeaderListSize
        limits.downstreamHTTP2.maxContinuations = config.http2.maxContinuationFrames
        limits.downstreamHTTP2.maxSettingsEntries = config.http2.maxSettingsEntries
        limits.downstreamHTTP2.maxOutboundAcks = config.http2.maxOutboundControlFrames
        limits.downstreamHTTP2.resetBurst = UInt64(config.http2.maxResetStreams) * 10
        limits.downstreamHTTP2.resetRate = UInt64(max(1, Int64(config.http2.maxResetStreams) * 10_000_000_000
                                                    / max(config.http2.resetStreamWindow.nanoseconds, 1)))
        limits.guarded = ProxyLimits(http2: config.http2, connections: config.limits)
        limits.connectTimeout = .nanoseconds(config.connectTimeout.nanoseconds)
        limits.accessLog = config.accessLog
        limits.maxConnectionAge = .nanoseconds(config.maxConnectionAge.nanoseconds)
        limits.maxConnectionAgeGrace = .nanoseconds(config.maxConnectionAgeGrace.nanoseconds)
        limits.workers = config.workers
        limits.tcp = TCPOptions(config.limits)
        limits.bufferPerConnection = config.limits.bufferPerConnection
        limits.bufferPerWorker = config.limits.bufferPerWorker
        limits.upstreamKeepalive = KeepaliveTiming(config.upstream.keepalive)
        limits.clientKeepalive = KeepaliveTiming(config.limits.clientKeepalive)
        limits.maxRequestsPerConnection = config.upstream.maxRequestsPerConnection

        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.workers)
        self.group = group
        var workers: [NIOLoopBound<Worker>] = []
        for (i, loop) in group.makeIterator().enumerated() {
            let fixedLimits = limits
            let w = try loop.submit {
                NIOLoopBound(Worker(eventLoop: loop, index: i, limits: fixedLimits, logger: logger), eventLoop: loop)
            }.wait()
            workers.append(w)
        }
        self.workers = workers
        let first = workers[0]
        let all = workers
        self.healthChecks = try first.eventLoop.submit {
            NIOLoopBound(HealthCheckService(worker: first.value) { result in
                // Every worker applies every result to its own endpoints.
                for w in all {
                    w.eventLoop.execute {
                        w.value.apply(result)
                        w.value.flushDirty()
                    }
                }
            }, eventLoop: first.eventLoop)
        }.wait()
        var byLoop: [ObjectIdentifier: NIOLoopBound<Worker>] = [:]
        for w in workers { byLoop[ObjectIdentifier(w.eventLoop)] = w }
        self.workersByLoop = byLoop

        if !config.clusters.isEmpty {
            try update(RoutingSnapshot(version: "static", clusters: config.clusters)).wait()
        }
        if config.membershipSocket != nil { haveMembership.store(false, ordering: .relaxed) }
    }

    func membershipReceived() { haveMembership.store(true, ordering: .relaxed) }

    /// Serving, and (with a controller) holding a membership.
    var isReady: Bool { phase == .serving && haveMembership.load(ordering: .relaxed) }

    /// The membership stream's state, nil without a controller.
    public var membershipStatus: MembershipStatus? {
        membership.withLockedValue { $0?.status.withLockedValue { $0 } }
    }

    /// Publishes a new routing table to every worker; each applies it
    /// between two events of its loop, so an RPC sees the old or the new
    /// table, never a mix.
    @discardableResult
    public func update(_ snapshot: RoutingSnapshot) -> EventLoopFuture<Void> {
        membershipVersion.withLockedValue { $0 = snapshot.version }
        let futures = workers.map { w in w.eventLoop.submit { w.value.apply(snapshot) } }
        let checks = healthChecks
        let health = checks.eventLoop.submit {
            checks.value.apply(snapshot)
            checks.value.worker.flushDirty()
        }
        return EventLoopFuture.andAllSucceed(futures + [health], on: group.any())
    }

    func worker(for loop: EventLoop) -> Worker {
        workersByLoop[ObjectIdentifier(loop)]!.value
    }

    /// Binds the listener, health and admin ports. Returns the bound
    /// listener address (useful with port 0).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let listener = try await Listener.bind(self)
        let health = try await AdminServer.bind(self, at: config.health, kind: .health)
        let admin = try await AdminServer.bind(self, at: config.admin, kind: .admin)
        channels.withLockedValue { $0 = [listener, health, admin] }
        tls?.startWatching()
        for w in workers { w.eventLoop.execute { w.value.startSweeping() } }
        phaseValue.store(ProxyPhase.serving.rawValue, ordering: .relaxed)
        if let socket = config.membershipSocket {
            let client = MembershipClient(socketPath: socket, proxy: self, logger: logger)
            membership.withLockedValue { $0 = client }
            client.start()
        }
        logger.info("portico-proxy serving", metadata: [
            "listen": "\(config.listen)", "tls": "\(config.tls != nil)",
            "health": "\(config.health)", "admin": "\(config.admin)",
            "workers": "\(config.workers)", "clusters": "\(config.clusters.count)",
        ])
        return listener.localAddress!
    }

    /// Graceful shutdown: fail health checks, wait `drainDelay` so load
    /// balancers notice, GOAWAY every client (a shutdown notice, then the
    /// final GOAWAY a round trip later), let RPCs in flight finish for up to
    /// `drainTimeout`, then stop. Each connection closes itself once its final
    /// GOAWAY is out and its last RPC is done.
    public func drainAndStop() async {
        phaseValue.store(ProxyPhase.draining.rawValue, ordering: .relaxed)
        if config.drainDelay.nanoseconds > 0 {
            try? await Task.sleep(nanoseconds: UInt64(config.drainDelay.nanoseconds))
        }
        if let listener = channels.withLockedValue({ $0.first }) {
            try? await listener.close()
        }
        for w in workers {
            try? await w.eventLoop.submit {
                for c in w.value.downstreams.values { c.shutDownGracefully() }
                w.value.flushDirty()
            }.get()
        }
        let deadline = NIODeadline.now() + .nanoseconds(config.drainTimeout.nanoseconds)
        while NIODeadline.now() < deadline {
            var open = 0
            for w in workers {
                open += (try? await w.eventLoop.submit { w.value.downstreams.count }.get()) ?? 0
            }
            if open == 0 { break }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        await stop()
    }

    /// Stops at once.
    public func stop() async {
        phaseValue.store(ProxyPhase.stopped.rawValue, ordering: .relaxed)
        membership.withLockedValue { $0?.stop() }
        tls?.stopWatching()
        for w in workers { try? await w.eventLoop.submit { w.value.accessLog.flush() }.get() }
        for c in channels.withLockedValue({ $0 }) { try? await c.close() }
        try? await group.shutdownGracefully()
    }
}
