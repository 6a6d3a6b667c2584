// Passive health checking (Envoy's outlier detection): connect errors,
// broken connections, stream resets and UNAVAILABLE responses in a row eject
// an endpoint for base × n (capped), n counting its recent ejections. A
// passing active health check returns it at once (Envoy's default); without
// active checks, the next connection that comes up once the time is up does. Each worker judges the
// endpoints on what its own RPCs see, like everything else on the worker.
import NIOCore

/// One endpoint's passive health on one worker.
struct EjectionState {
    var consecutiveFailures = 0
    private(set) var ejected = false
    /// Times ejected on this worker, ever.
    private(set) var ejections = 0
    /// The `n` of the next base × n: ejections since the endpoint last stayed
    /// in service for `maxEjectionTime`.
    private var level = 0
    /// When the current (or last) ejection ends.
    private(set) var until: NIODeadline?
    /// How long the current (or last) ejection lasts.
    private(set) var duration: TimeAmount = .zero
    private var returnedAt: NIODeadline?
    var timer: Scheduled<Void>?

    mutating func eject(_ od: OutlierDetectionConfig, now: NIODeadline) -> TimeAmount {
        if let back = returnedAt, now - back >= .nanoseconds(od.maxEjectionTime.nanoseconds) { level = 0 }
        level += 1
        ejections += 1
        ejected = true
        duration = .nanoseconds(od.ejectionTime(forEjection: level).nanoseconds)
        until = now + duration
        return duration
    }

    mutating func end(now: NIODeadline) {
        ejected = false
        consecutiveFailures = 0
        returnedAt = now
        timer?.cancel()
        timer = nil
    }

    func expired(now: NIODeadline) -> Bool { until.map { now >= $0 } ?? true }
}

extension Endpoint {
    /// A connect error, a broken connection or a stream reset.
    func recordFailure(_ what: String) {
        guard !ejection.ejected, !retired, let cluster, cluster.config.outlierDetection.enabled else { return }
        ejection.consecutiveFailures += 1
        guard ejection.consecutiveFailures >= cluster.config.outlierDetection.consecutiveFailures else { return }
        _ = cluster.eject(self, reason: "\(ejection.consecutiveFailures) consecutive failures, the last: \(what)")
    }

    /// The upstream answered an RPC: UNAVAILABLE is a failure, anything else
    /// (even an application error) shows the endpoint works.
    @inline(__always)
    func recordResponse(unavailable: Bool) {
        if unavailable {
            recordFailure("UNAVAILABLE")
        } else {
            ejection.consecutiveFailures = 0
        }
    }

    /// Takes the endpoint out of service; `Cluster.eject` decides whether it may.
    func startEjection(_ od: OutlierDetectionConfig, reason: String) {
        let duration = ejection.eject(od, now: .now())
        worker.logger.warning("endpoint \(name) of cluster \(clusterName) ejected for \(ProxyStream.describe(duration)) (ejection \(ejection.ejections)): \(reason)")
        ejection.timer = worker.eventLoop.assumeIsolated().scheduleTask(in: duration) { [weak self] in
            guard let self else { return }
            self.ejection.timer = nil
            self.ejectionTimeElapsed()
            self.worker.flushDirty()
        }
    }

    /// The ejection time is up: the next check decides. With active health
    /// checks that is the next scheduled one; without, a connection that is
    /// up, or else a new one.
    private func ejectionTimeElapsed() {
        guard ejection.ejected, !retired, !hasActiveHealthCheck else { return }
        if connections.contains(where: { $0.state == .ready }) {
            endEjection("a connection is up")
        } else {
            probe()
        }
    }

    /// An active health check passed, or a connection came up.
    func checkSucceeded() {
        guard ejection.ejected, ejection.expired(now: .now()) else { return }
        endEjection("a new connection came up")
    }

    func endEjection(_ why: String) {
        ejection.end(now: .now())
        worker.logger.info("endpoint \(name) of cluster \(clusterName) is back in service: \(why)")
    }
}
