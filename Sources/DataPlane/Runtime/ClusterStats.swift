// Counters of one cluster on one worker: plain integers and arrays bumped on
// the event loop, summed over workers only when an admin page is rendered.

/// What a worker counts for one cluster.
struct ClusterStats: Sendable {
    /// RPCs routed to the cluster.
    var rpcs = 0
    var retries = 0
    var statuses = GRPCStatusCounts()
    var latency = LatencyHistogram()
    var connectFailures = 0
    var healthChecksPassed = 0
    var healthChecksFailed = 0
    var ejections = 0
    /// Ejections not made because `maxEjectionPercent` was reached.
    var ejectionsOverflow = 0
    /// RPCs refused by a circuit breaker.
    var breakerOverflows = BreakerOverflows()

    struct BreakerOverflows: Sendable {
        /// `maxRequests` was reached.
        var requests = 0
        /// `maxPendingRequests` was reached.
        var pending = 0
    }

    /// An RPC ended: its status and how long it took from request headers
    /// to the end of the stream.
    @inline(__always)
    mutating func finished(status: Int, nanoseconds: Int64) {
        statuses.count(status)
        latency.observe(nanoseconds: nanoseconds)
    }

    mutating func add(_ o: ClusterStats) {
        rpcs += o.rpcs
        retries += o.retries
        statuses.add(o.statuses)
        latency.add(o.latency)
        connectFailures += o.connectFailures
        healthChecksPassed += o.healthChecksPassed
        healthChecksFailed += o.healthChecksFailed
        ejections += o.ejections
        ejectionsOverflow += o.ejectionsOverflow
        breakerOverflows.requests += o.breakerOverflows.requests
        breakerOverflows.pending += o.breakerOverflows.pending
    }
}

/// Finished RPCs by grpc-status: 0…16, and one slot for streams that ended
/// without a status (`GRPCStatusCounts.none`).
struct GRPCStatusCounts: Sendable {
    static let none = 17
    private(set) var counts = [Int](repeating: 0, count: 18)

    /// The slot of a `grpc-status` value: codes outside 0…16 count as
    /// UNKNOWN (2), as gRPC clients read them.
    static func slot(_ status: String?) -> Int {
        guard let status else { return none }
        guard let code = Int(status) else { return 2 }
        return (0...16).contains(code) ? code : 2
    }

    @inline(__always)
    mutating func count(_ slot: Int) { counts[slot] += 1 }

    mutating func add(_ o: GRPCStatusCounts) {
        for i in counts.indices { counts[i] += o.counts[i] }
    }

    /// The Prometheus label value of a slot.
    static func label(_ slot: Int) -> String { slot == none ? "none" : String(slot) }
}

/// A latency histogram with fixed buckets (seconds, as Prometheus expects):
/// observing is a short scan of the bounds and one array increment.
struct LatencyHistogram: Sendable {
    /// Upper bounds of the buckets in nanoseconds; one more bucket is +Inf.
    static let bounds: [Int64] = [
        500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
        250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
        30_000_000_000, 60_000_000_000,
    ]
    /// The same bounds as Prometheus `le` labels.
    static let labels = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25", "0.5", "1", "2.5", "5", "10", "30", "60"]

    /// Per-bucket (not cumulative) counts; the last is above every bound.
    private(set) var buckets = [Int](repeating: 0, count: bounds.count + 1)
    private(set) var sumNanoseconds: Int64 = 0
    private(set) var count = 0

    @inline(__always)
    mutating func observe(nanoseconds: Int64) {
        let bounds = Self.bounds
        var i = 0
        while i < bounds.count && nanoseconds > bounds[i] { i += 1 }
        buckets[i] += 1
        sumNanoseconds &+= nanoseconds
        count += 1
    }

    mutating func add(_ o: LatencyHistogram) {
        for i in buckets.indices { buckets[i] += o.buckets[i] }
        sumNanoseconds &+= o.sumNanoseconds
        count += o.count
    }

    /// Cumulative counts, one per bound and a last one for +Inf (== count).
    var cumulative: [Int] {
        var running = 0
        return buckets.map { running += $0; return running }
    }
}
