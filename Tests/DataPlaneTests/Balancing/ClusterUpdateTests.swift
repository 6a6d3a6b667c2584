// Cluster.update on plain values: what a membership change keeps, retires
// and resets on one worker.
import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import DataPlane

@Suite struct ClusterUpdateTests {
    static let loop = EmbeddedEventLoop()

    static func worker() -> Worker {
        Worker(eventLoop: loop, index: 0, limits: WorkerLimits(), logger: Logger(label: "test"))
    }

    static func config(_ ports: [Int], policy: LoadBalancingPolicy = .roundRobin) -> ClusterConfig {
        var c = ClusterConfig(name: "c", grpcServices: ["a.B"],
                              endpoints: ports.map { EndpointConfig(address: HostPort(host: "127.0.0.1", port: $0)) })
        c.lbPolicy = policy
        if policy == .ringHash { c.hashHeader = "x-user" }
        c.healthCheck = HealthCheckConfig()
        return c
    }

    @Test func keptEndpointsKeepTheirStateAndRemovedOnesRetire() {
        let w = Self.worker()
        let cluster = Cluster(config: Self.config([1, 2]), worker: w)
        let (a, b) = (cluster.endpoints[0], cluster.endpoints[1])
        a.healthCheckCompleted(healthy: false, passed: false, detail: "NOT_SERVING")
        a.totalRPCs = 7
        b.activeRPCs = 1   // an RPC in flight on the endpoint being removed
        cluster.update(Self.config([1, 3]))
        #expect(cluster.endpoints.count == 2)
        #expect(cluster.endpoints[0] === a, "the kept endpoint was rebuilt")
        #expect(a.healthy == false && a.healthDetail == "NOT_SERVING" && a.totalRPCs == 7)
        #expect(b.retired && !b.isAvailable)
        #expect(b.activeRPCs == 1, "the RPC in flight is left to finish")
        #expect(cluster.endpoints[1].address.port == 3 && cluster.endpoints[1].healthy)
        // Only the healthy new endpoint is picked.
        for _ in 0..<4 { #expect(cluster.pick(excluding: [], hashKey: nil)?.address.port == 3) }
    }

    @Test func aPolicySwitchTakesEffectAtOnce() {
        let w = Self.worker()
        let cluster = Cluster(config: Self.config([1, 2, 3]), worker: w)
        var seen = Set<Int>()
        for _ in 0..<3 { seen.insert(cluster.pick(excluding: [], hashKey: nil)!.address.port) }
        #expect(seen == [1, 2, 3], "round robin visits every endpoint")
        cluster.update(Self.config([1, 2, 3], policy: .ringHash))
        let key = Hashing.fnv1a("alice")
        let first = cluster.pick(excluding: [], hashKey: key)!
        for _ in 0..<10 { #expect(cluster.pick(excluding: [], hashKey: key) === first, "ring hash is sticky") }
    }

    @Test func turningChecksOrEjectionOffReturnsEndpoints() {
        let w = Self.worker()
        let cluster = Cluster(config: Self.config([1, 2]), worker: w)
        let a = cluster.endpoints[0]
        a.healthCheckCompleted(healthy: false, passed: false, detail: "timed out")
        #expect(cluster.endpoints[1].ejection.ejected == false)
        _ = cluster.eject(cluster.endpoints[1], reason: "test")
        #expect(cluster.endpoints[1].ejection.ejected)
        var off = Self.config([1, 2])
        off.healthCheck = nil
        off.outlierDetection.consecutiveFailures = 0
        cluster.update(off)
        #expect(a.healthy, "health checks off: healthy again")
        #expect(!cluster.endpoints[1].ejection.ejected, "outlier detection off: back in service")
    }

    @Test func aPassingHealthCheckEndsAnEjectionAtOnce() {
        let w = Self.worker()
        let cluster = Cluster(config: Self.config([1, 2]), worker: w)
        let b = cluster.endpoints[1]
        _ = cluster.eject(b, reason: "test")
        #expect(b.ejection.ejected && !b.isAvailable)
        b.healthCheckCompleted(healthy: true, passed: true, detail: "SERVING")
        #expect(!b.ejection.ejected && b.isAvailable)
    }
}
