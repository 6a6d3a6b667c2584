// Per-event-loop state: the routing table this loop reads, its clusters with
// their upstream pools, and the queue of sessions with frames to send. Only
// its own loop touches a Worker, so nothing here takes a lock.
import Logging
import NIOCore

final class Worker {
    let eventLoop: EventLoop
    let index: Int
    let limits: WorkerLimits
    let logger: Logger
    var counters = WorkerCounters()
    /// Lines of the access log not yet written (used when `accessLog` is on).
    let accessLog: AccessLogWriter

    /// gRPC service name → cluster: the per-RPC routing decision.
    private(set) var routes = RouteTable()
    private(set) var clusters: [String: Cluster] = [:]
    private(set) var membershipVersion = "static"

    /// Downstream connections, for draining at shutdown.
    var downstreams: [ObjectIdentifier: DownstreamConnection] = [:]
    /// Upstream connections (pools and health probers), for keepalive.
    var upstreams: [ObjectIdentifier: UpstreamConnection] = [:]
    /// Request and response bytes held for all client connections of this
    /// worker (`limits.bufferPerWorker`; BufferBudget.swift).
    var heldBytes = 0
    /// Accepted client connections (TLS handshakes included), for `maxConnectionsPerWorker`.
    var openConnections = 0
    /// A coarse clock: the time of the last sweep. Per-event code reads this
    /// instead of the system clock.
    private(set) var now = NIODeadline.now()
    private var sweeping = false

    private var dirty: [HTTP2Connection] = []
    private var flushing = false
    /// Sessions parsing input right now: no flush may start inside one
    /// (nghttp2 is never re-entered); the read batch's end flushes instead.
    var codecDepth = 0
    var random = FastRandom(seed: UInt64.random(in: 1...UInt64.max))

    init(eventLoop: EventLoop, index: Int, limits: WorkerLimits, logger: Logger) {
        self.eventLoop = eventLoop
        self.index = index
        self.limits = limits
        self.accessLog = AccessLogWriter(eventLoop: eventLoop)
        var logger = logger
        logger[metadataKey: "worker"] = "\(index)"
        self.logger = logger
    }

    /// Replaces the routing table, keeping the endpoints (and their open
    /// connections) that are still listed.
    func apply(_ snapshot: RoutingSnapshot) {
        var next: [String: Cluster] = [:]
        for config in snapshot.clusters {
            if let existing = clusters[config.name] {
                existing.update(config)
                next[config.name] = existing
            } else {
                next[config.name] = Cluster(config: config, worker: self)
            }
        }
        for (name, old) in clusters where next[name] == nil { old.retire() }
        self.clusters = next
        self.routes = RouteTable(next.values)
        self.membershipVersion = snapshot.version
    }

    /// Starts the periodic sweep that advances the coarse clock and closes
    /// connections past their deadlines.
    func startSweeping() {
        guard !sweeping else { return }
        sweeping = true
        scheduleSweep()
    }

    private func scheduleSweep() {
        eventLoop.assumeIsolated().scheduleTask(in: limits.guarded.sweepInterval) { [weak self] in
            guard let self else { return }
            self.now = NIODeadline.now()
            for connection in self.downstreams.values { connection.sweep(now: self.now) }
            if let k = self.limits.upstreamKeepalive {
                for connection in self.upstreams.values {
                    connection.keepaliveSweep(now: self.now, k)
                }
            }
            self.flushDirty()
            self.scheduleSweep()
        }
    }

    /// A result of the proxy's health prober for one endpoint.
    func apply(_ result: HealthCheckResult) {
        guard let cluster = clusters[result.cluster],
              let endpoint = cluster.endpoints.first(where: { $0.address == result.address }) else { return }
        endpoint.healthCheckCompleted(healthy: result.healthy, passed: result.passed, detail: result.detail)
    }

    /// Counts a connection closed (or refused) by a limit.
    func countLimit(_ reason: StaticString) {
        counters.closedByLimit["\(reason)", default: 0] += 1
    }

    /// Asks for `connection`'s session to be flushed before this event ends.
    @inline(__always)
    func needsFlush(_ connection: HTTP2Connection) {
        if !connection.isDirty {
            connection.isDirty = true
            dirty.append(connection)
        }
    }

    /// Flushes every dirty session; called at the end of each event
    /// (read, timer, connect). Flushing one session can dirty another (a
    /// DATA frame sent upstream re-opens a downstream window), so loop.
    func flushDirty() {
        if flushing || codecDepth > 0 { return }
        flushing = true
        defer { flushing = false }
        while let connection = dirty.popLast() {
            connection.isDirty = false
            connection.flushSession()
        }
    }
}

/// HTTP/2 PING keepalive timing, as the worker's sweep uses it.
struct KeepaliveTiming: Sendable {
    var interval: TimeAmount
    var timeout: TimeAmount

    init?(_ config: KeepaliveConfig) {
        guard config.enabled else { return nil }
        interval = .nanoseconds(config.interval.nanoseconds)
        timeout = .nanoseconds(config.timeout.nanoseconds)
    }
}

/// Limits and timeouts every worker applies.
struct WorkerLimits: Sendable {
    /// Event loops of the proxy (circuit breakers are shared out among them).
    var workers = 1
    var tcp = TCPOptions()
    /// Bytes held for one client connection, and for all of a worker's.
    var bufferPerConnection = 4 << 20
    var bufferPerWorker = 16 << 20
    var upstreamKeepalive = KeepaliveTiming(UpstreamConfig().keepalive)
    var clientKeepalive: KeepaliveTiming?
    var maxRequestsPerConnection = 1_000_000
    var downstreamHTTP2 = HTTP2Parameters()
    var upstreamHTTP2 = HTTP2Parameters(maxConcurrentStreams: 0, initialStreamWindow: 1 << 20,
                                        connectionWindow: 8 << 20)
    var connectTimeout: TimeAmount = .milliseconds(500)
    /// Request bytes kept so that a refused attempt can be replayed elsewhere.
    var retryBufferLimit = 1 << 20
    var accessLog = false
    /// Downstream connections get GOAWAY after this long (±10 %); zero: never.
    var maxConnectionAge: TimeAmount = .zero
    /// Then are closed after this long, RPCs in flight or not; zero: never.
    var maxConnectionAgeGrace: TimeAmount = .zero
    /// Between the shutdown notice (first GOAWAY) and the final GOAWAY: a
    /// generous round trip, so that requests already on their way are served.
    var goAwayNoticePeriod: TimeAmount = .seconds(1)
    /// Abuse and resource limits of downstream connections.
    var guarded = ProxyLimits()
}

/// The clusters in force, as published to every worker.
public struct RoutingSnapshot: Sendable {
    public var version: String
    public var clusters: [ClusterConfig]

    public init(version: String, clusters: [ClusterConfig]) {
        self.version = version
        self.clusters = clusters
    }
}

/// xorshift64*: a fast per-worker generator for load balancing choices.
struct FastRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Plain counters of one worker; the admin server sums them across workers.
struct WorkerCounters: Sendable {
    var downstreamConnections = 0
    var downstreamConnectionsTotal = 0
    var downstreamRPCs = 0
    var upstreamConnectFailures = 0
    var retries = 0
    var httpErrors = 0
    var protocolErrors = 0
    /// Client connections sent GOAWAY because they reached `maxConnectionAge`.
    var maxAgeGoAways = 0
    /// Client connections closed or refused by a limit, by reason.
    var closedByLimit: [String: Int] = [:]
    /// Requests refused for headers larger than `http2.maxHeaderListSize`.
    var oversizedHeaders = 0
    /// Upstream connections retired at `maxRequestsPerConnection`.
    var upstreamRotations = 0
    /// Connections closed because a keepalive PING went unanswered.
    var keepaliveCloses = 0
    var clientKeepaliveCloses = 0
    /// Streams reset because their client connection, or the worker, held
    /// more than its buffer budget; by direction ("request", "response").
    var streamsResetForMemory: [String: Int] = [:]
}
