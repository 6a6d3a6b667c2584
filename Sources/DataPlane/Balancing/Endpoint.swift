// One upstream endpoint as a worker sees it: its connections and whether it
// can take new RPCs.
import NIOCore

final class Endpoint: UpstreamConnectionOwner {
    let address: HostPort
    let socketAddress: SocketAddress
    let name: String
    var config: EndpointConfig
    /// The cluster may be removed while connections to this endpoint drain.
    private(set) weak var cluster: Cluster?
    unowned let worker: Worker
    let clusterName: String
    /// The cluster's connect timeout, if it sets one.
    var connectTimeout: ConfigDuration?

    /// This worker's connections to the endpoint (its pool).
    var connections: [UpstreamConnection] = []
    /// False after a connect failure or a broken connection, until a
    /// reconnect succeeds.
    private(set) var reachable = true
    private var reconnectDelay: TimeAmount = .milliseconds(50)
    private var reconnectTask: Scheduled<Void>?
    private(set) var retired = false

    /// Active health checking's verdict (true until a check says otherwise),
    /// from the proxy's one prober of this endpoint (HealthCheckService).
    private(set) var healthy = true
    private(set) var healthDetail = "not checked"
    /// Passive health: consecutive failures and ejection (OutlierEjection.swift).
    var ejection = EjectionState()

    /// The backend's SETTINGS_MAX_CONCURRENT_STREAMS as last seen (100 until known).
    var streamLimit = 100

    var activeRPCs = 0
    var totalRPCs = 0
    var failedRPCs = 0
    var connectFailures = 0

    init(config: EndpointConfig, socketAddress: SocketAddress, cluster: Cluster) {
        self.config = config
        self.address = config.address
        self.socketAddress = socketAddress
        self.name = config.address.description
        self.cluster = cluster
        self.worker = cluster.worker
        self.clusterName = cluster.config.name
        self.connectTimeout = cluster.config.connectTimeout
    }

    /// Can take a new RPC under normal conditions.
    var isAvailable: Bool {
        reachable && healthy && !ejection.ejected && config.ready && !config.terminating && !retired
    }
    /// Can take a new RPC when nothing better is left (terminating but still serving).
    var isFallback: Bool {
        reachable && healthy && !ejection.ejected && config.terminating && config.serving && !retired
    }

    /// Whether the cluster checks its endpoints actively.
    var hasActiveHealthCheck: Bool { cluster?.config.healthCheck != nil }

    /// Turning health checks off makes every endpoint healthy again.
    func healthChecksStopped() {
        healthy = true
        healthDetail = "not checked"
    }

    /// A check of the proxy's prober for this endpoint ended. A pass also
    /// proves the endpoint reachable and ends an ejection at once (Envoy's
    /// `successful_active_health_check_uneject_host`), so a restarted backend
    /// is back as soon as it answers.
    func healthCheckCompleted(healthy verdict: Bool, passed: Bool, detail: String) {
        healthDetail = detail
        if worker.index == 0 {
            // One prober for all workers: its results are counted once.
            if passed { cluster?.stats.healthChecksPassed += 1 } else { cluster?.stats.healthChecksFailed += 1 }
        }
        if verdict != healthy {
            healthy = verdict
            if worker.index == 0 {
                worker.logger.info("endpoint \(name) of cluster \(clusterName) is now \(verdict ? "healthy" : "unhealthy"): \(detail)")
            }
        }
        guard passed, !retired else { return }
        if !reachable {
            reachable = true
            reconnectDelay = .milliseconds(50)
            reconnectTask?.cancel()
            reconnectTask = nil
        }
        if ejection.ejected { endEjection("a health check passed") }
    }

    /// A connection with room for one more stream, opening one if needed.
    func connectionForNewStream(worker: Worker) -> UpstreamConnection {
        for c in connections where c.hasCapacity { return c }
        if connections.count >= worker.limits.guarded.connections.maxUpstreamConnectionsPerEndpoint,
           let least = connections.filter(\.acceptsStreams).min(by: { $0.load < $1.load }) {
            // At the limit: the stream waits in the least loaded connection's
            // queue until the backend frees a stream.
            return least
        }
        let c = UpstreamConnection.open(for: self, worker: worker)
        connections.append(c)
        return c
    }

    // MARK: UpstreamConnectionOwner

    func connectionClosed(_ c: UpstreamConnection, broken: Bool) {
        connections.removeAll { $0 === c }
        if broken {
            markUnreachable()
            recordFailure("connection lost")
        }
    }

    func connectFailed(_ c: UpstreamConnection, error: Error) {
        connectFailures += 1
        cluster?.stats.connectFailures += 1
        connections.removeAll { $0 === c }
        markUnreachable()
        recordFailure("connect error")
    }

    func connected(_ c: UpstreamConnection) {
        reachable = true
        reconnectDelay = .milliseconds(50)
        // A connection that comes up is the probe of an ejected endpoint
        // without active health checks.
        if ejection.ejected && !hasActiveHealthCheck { checkSucceeded() }
    }

    func pendingChanged(by delta: Int) { cluster?.pendingRPCs += delta }

    /// Skips the endpoint and probes it with a fresh connection, backing off
    /// from 50 ms to 2 s, until one succeeds.
    private func markUnreachable() {
        reachable = false
        guard reconnectTask == nil, !retired else { return }
        let delay = reconnectDelay
        reconnectDelay = min(reconnectDelay * 2, .seconds(2))
        reconnectTask = worker.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            self.reconnectTask = nil
            guard !self.retired, !self.reachable else { return }
            self.probe()
            worker.flushDirty()
        }
    }

    /// Opens a connection to see whether the endpoint answers, unless one is
    /// already open or opening.
    func probe() {
        if connections.isEmpty { connections.append(UpstreamConnection.open(for: self, worker: worker)) }
    }

    /// The endpoint left the cluster: no new RPCs; streams in flight finish.
    func retire() {
        retired = true
        ejection.timer?.cancel()
        ejection.timer = nil
        reconnectTask?.cancel()
        reconnectTask = nil
        for c in connections { c.closeWhenIdle() }
    }
}
