// Active health checking for the whole proxy: one prober per endpoint (not
// one per worker), on a connection of its own that no RPC queue can block.
// Results go to every worker, which applies them to its own endpoints.
import NIOCore

/// What a prober tells the workers after each check.
struct HealthCheckResult: Sendable {
    var cluster: String
    var address: HostPort
    /// The verdict after thresholds.
    var healthy: Bool
    /// This check passed.
    var passed: Bool
    var detail: String
}

/// Owns every prober; lives on one worker's loop (the first).
final class HealthCheckService {
    private struct Key: Hashable {
        var cluster: String
        var address: HostPort
    }

    let worker: Worker
    private let publish: @Sendable (HealthCheckResult) -> Void
    private var probers: [Key: HealthProber] = [:]

    init(worker: Worker, publish: @escaping @Sendable (HealthCheckResult) -> Void) {
        self.worker = worker
        self.publish = publish
    }

    /// Starts probers for new endpoints of checked clusters, updates the
    /// settings of the others, and stops those no longer listed.
    func apply(_ snapshot: RoutingSnapshot) {
        var next: [Key: HealthProber] = [:]
        for cluster in snapshot.clusters {
            guard let check = cluster.healthCheck else { continue }
            for endpoint in cluster.endpoints {
                let key = Key(cluster: cluster.name, address: endpoint.address)
                if next[key] != nil { continue }
                if let existing = probers.removeValue(forKey: key) {
                    existing.config = check
                    existing.connectTimeout = cluster.connectTimeout
                    next[key] = existing
                } else if let address = try? SocketAddress(ipAddress: endpoint.address.host, port: endpoint.address.port) {
                    let p = HealthProber(cluster: cluster.name, address: endpoint.address, socketAddress: address,
                                         config: check, service: self)
                    p.connectTimeout = cluster.connectTimeout
                    next[key] = p
                    p.start()
                }
            }
        }
        for p in probers.values { p.stop() }
        probers = next
    }

    func report(_ result: HealthCheckResult) { publish(result) }
}

/// Checks one endpoint: a Check every interval (±10 % jitter), healthy and
/// unhealthy thresholds, over one dedicated connection.
final class HealthProber: UpstreamConnectionOwner {
    let cluster: String
    let address: HostPort
    let socketAddress: SocketAddress
    let name: String
    var config: HealthCheckConfig
    var connectTimeout: ConfigDuration?
    var streamLimit = 100
    unowned let service: HealthCheckService
    private var connection: UpstreamConnection?
    private var task: Scheduled<Void>?
    private var probe: HealthProbe?
    private var successes = 0
    private var failures = 0
    private var healthy = true
    private var stopped = false

    init(cluster: String, address: HostPort, socketAddress: SocketAddress, config: HealthCheckConfig,
         service: HealthCheckService) {
        self.cluster = cluster
        self.address = address
        self.socketAddress = socketAddress
        self.name = address.description
        self.config = config
        self.service = service
    }

    private var worker: Worker { service.worker }

    /// The first check runs at once.
    func start() { schedule(in: .zero) }

    func stop() {
        stopped = true
        task?.cancel()
        task = nil
        probe?.cancel()
        probe = nil
        connection?.closeWhenIdle()
        connection = nil
    }

    private func schedule(in delay: TimeAmount) {
        guard !stopped else { return }
        let worker = self.worker
        task = worker.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.check()
            worker.flushDirty()
        }
    }

    private func check() {
        guard !stopped else { return }
        let c: UpstreamConnection
        if let open = connection, open.acceptsStreams {
            c = open
        } else {
            connection?.closeWhenIdle()
            c = UpstreamConnection.open(for: self, worker: worker)
            connection = c
        }
        probe = HealthProbe(on: c, authority: name, service: config.service,
                            timeout: .nanoseconds(config.timeout.nanoseconds), worker: worker) { [weak self] ok, detail, timedOut in
            self?.completed(ok, detail, timedOut: timedOut)
        }
    }

    private func completed(_ ok: Bool, _ detail: String, timedOut: Bool) {
        probe = nil
        if timedOut, let c = connection {
            // A backend that stopped answering: a fresh connection next time.
            connection = nil
            c.abort("health check timed out")
        }
        if ok {
            successes += 1
            failures = 0
            if !healthy && successes >= config.healthyThreshold { healthy = true }
        } else {
            failures += 1
            successes = 0
            if healthy && failures >= config.unhealthyThreshold { healthy = false }
        }
        service.report(HealthCheckResult(cluster: cluster, address: address, healthy: healthy, passed: ok,
                                         detail: detail))
        let interval = config.interval.nanoseconds
        let jitter = interval / 10
        let next = interval - jitter + Int64(worker.random.next(below: Int(max(2 * jitter, 1))))
        schedule(in: .nanoseconds(next))
    }

    // MARK: UpstreamConnectionOwner

    func connected(_ c: UpstreamConnection) {}
    func connectFailed(_ c: UpstreamConnection, error: Error) { if connection === c { connection = nil } }
    func connectionClosed(_ c: UpstreamConnection, broken: Bool) { if connection === c { connection = nil } }
    func pendingChanged(by delta: Int) {}
}
