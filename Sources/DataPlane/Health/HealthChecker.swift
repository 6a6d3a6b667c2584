// Active health checking of one endpoint: a Check every interval (with a
// little jitter), healthy and unhealthy thresholds.
import NIOCore

final class HealthChecker {
    unowned let endpoint: Endpoint
    private var config: HealthCheckConfig
    private var task: Scheduled<Void>?
    private var probe: HealthProbe?
    private var successes = 0
    private var failures = 0
    private var stopped = false
    private(set) var lastDetail = "pending"

    init(endpoint: Endpoint, config: HealthCheckConfig) {
        self.endpoint = endpoint
        self.config = config
    }

    func update(_ config: HealthCheckConfig) { self.config = config }

    /// The first check runs at once.
    func start() { schedule(in: .zero) }

    func stop() {
        stopped = true
        task?.cancel()
        task = nil
    }

    private func schedule(in delay: TimeAmount) {
        guard !stopped else { return }
        let worker = endpoint.worker
        task = worker.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.check()
            worker.flushDirty()
        }
    }

    private func check() {
        guard !stopped else { return }
        let worker = endpoint.worker
        probe = HealthProbe(endpoint: endpoint, service: config.service,
                            timeout: .nanoseconds(config.timeout.nanoseconds), worker: worker) { [weak self] ok, detail in
            self?.completed(ok, detail)
        }
    }

    private func completed(_ ok: Bool, _ detail: String) {
        probe = nil
        lastDetail = detail
        if ok {
            endpoint.cluster?.stats.healthChecksPassed += 1
            successes += 1
            failures = 0
            if !endpoint.healthy && successes >= config.healthyThreshold { endpoint.setHealthy(true, detail) }
            endpoint.checkSucceeded()
        } else {
            endpoint.cluster?.stats.healthChecksFailed += 1
            failures += 1
            successes = 0
            if endpoint.healthy && failures >= config.unhealthyThreshold { endpoint.setHealthy(false, detail) }
        }
        // ±10 % jitter so that checks of many endpoints do not align.
        let interval = config.interval.nanoseconds
        let jitter = interval / 10
        let next = interval - jitter + Int64(endpoint.worker.random.next(below: Int(max(2 * jitter, 1))))
        schedule(in: .nanoseconds(next))
    }
}
