// One upstream endpoint as a worker sees it: its connections and whether it
// can take new RPCs.
import NIOCore

final class Endpoint {
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

    /// Active health checking's verdict (true until a check says otherwise).
    private(set) var healthy = true
    private var healthChecker: HealthChecker?

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
    var isAvailable: Bool { reachable && healthy && config.ready && !config.terminating && !retired }
    /// Can take a new RPC when nothing better is left (terminating but still serving).
    var isFallback: Bool { reachable && healthy && config.terminating && config.serving && !retired }

    var healthDetail: String { healthChecker?.lastDetail ?? "not checked" }

    /// Starts, changes or stops active health checks.
    func configureHealthCheck(_ config: HealthCheckConfig?) {
        guard let config else {
            healthChecker?.stop()
            healthChecker = nil
            healthy = true
            return
        }
        if let h = healthChecker {
            h.update(config)
        } else {
            let h = HealthChecker(endpoint: self, config: config)
            healthChecker = h
            h.start()
        }
    }

    func setHealthy(_ value: Bool, _ detail: String) {
        healthy = value
        worker.logger.info("endpoint \(name) of cluster \(clusterName) is now \(value ? "healthy" : "unhealthy"): \(detail)")
    }

    /// A connection with room for one more stream, opening one if needed.
    func connectionForNewStream(worker: Worker) -> UpstreamConnection {
        for c in connections where c.hasCapacity { return c }
        if connections.count >= worker.limits.guarded.connections.maxUpstreamConnectionsPerEndpoint,
           let least = connections.filter(\.acceptsStreams).min(by: { $0.load < $1.load }) {
            // At the limit: the stream waits on the least loaded connection
            // (nghttp2 queues it until the backend frees a stream).
            return least
        }
        let c = UpstreamConnection.open(to: self, worker: worker)
        connections.append(c)
        return c
    }

    func connectionClosed(_ c: UpstreamConnection, broken: Bool) {
        connections.removeAll { $0 === c }
        if broken { markUnreachable() }
    }

    func connectFailed(_ c: UpstreamConnection) {
        connectFailures += 1
        connections.removeAll { $0 === c }
        markUnreachable()
    }

    func connected() {
        reachable = true
        reconnectDelay = .milliseconds(50)
    }

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
            if self.connections.isEmpty {
                self.connections.append(UpstreamConnection.open(to: self, worker: worker))
            }
            worker.flushDirty()
        }
    }

    /// The endpoint left the cluster: no new RPCs; streams in flight finish.
    func retire() {
        retired = true
        healthChecker?.stop()
        healthChecker = nil
        reconnectTask?.cancel()
        reconnectTask = nil
        for c in connections { c.closeWhenIdle() }
    }
}
