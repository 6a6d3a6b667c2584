import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import DataPlane

@Suite struct LoadBalancerTests {
    func cluster(_ policy: LoadBalancingPolicy, ports: [Int]) -> (Worker, Cluster) {
        let worker = Worker(eventLoop: EmbeddedEventLoop(), index: 0, limits: WorkerLimits(),
                            logger: Logger(label: "test"))
        var config = ClusterConfig(name: "c", grpcServices: ["api.Echo"],
                                   endpoints: ports.map { EndpointConfig(address: HostPort(host: "127.0.0.1", port: $0)) })
        config.lbPolicy = policy
        config.hashHeader = "x-user"
        return (worker, Cluster(config: config, worker: worker))
    }

    func counts(_ c: Cluster, _ n: Int, key: (Int) -> UInt64? = { _ in nil }) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for i in 0..<n { out[c.pick(excluding: [], hashKey: key(i))!.address.port, default: 0] += 1 }
        return out
    }

    @Test func roundRobinIsExact() {
        let (w, c) = cluster(.roundRobin, ports: [1, 2, 3, 4])
        #expect(counts(c, 400) == [1: 100, 2: 100, 3: 100, 4: 100])
        withExtendedLifetime(w) {}
    }

    @Test func roundRobinSkipsUnavailableAndTerminating() {
        let (w, c) = cluster(.roundRobin, ports: [1, 2, 3])
        c.endpoints[1].config.terminating = true
        #expect(counts(c, 100).keys.sorted() == [1, 3])
        // Nothing else left: terminating-but-serving endpoints take RPCs.
        c.endpoints[0].config.ready = false
        c.endpoints[2].config.ready = false
        #expect(counts(c, 10) == [2: 10])
        c.endpoints[1].config.serving = false
        #expect(c.pick(excluding: [], hashKey: nil) == nil)
        withExtendedLifetime(w) {}
    }

    @Test func randomIsRoughlyUniform() {
        let (w, c) = cluster(.random, ports: [1, 2, 3, 4])
        for (_, n) in counts(c, 8000) { #expect((1600...2400).contains(n)) }
        withExtendedLifetime(w) {}
    }

    @Test func leastRequestPrefersIdleEndpoints() {
        let (w, c) = cluster(.leastRequest, ports: [1, 2, 3, 4])
        c.endpoints[0].activeRPCs = 50
        let seen = counts(c, 4000)
        // Endpoint 1 wins only when both random choices fall on it.
        #expect((seen[1] ?? 0) < 400)
        for p in [2, 3, 4] { #expect((seen[p] ?? 0) > 1000) }
        withExtendedLifetime(w) {}
    }

    @Test func ringHashIsStableAndBalanced() {
        let (w, c) = cluster(.ringHash, ports: [1, 2, 3, 4])
        let keys = (0..<10_000).map { Hashing.fnv1a("user-\($0)") }
        let before = keys.map { c.pick(excluding: [], hashKey: $0)!.address.port }
        for (_, n) in Dictionary(grouping: before, by: { $0 }) { #expect((1700...3300).contains(n.count)) }
        // Same key, same endpoint.
        #expect(keys.prefix(100).map { c.pick(excluding: [], hashKey: $0)!.address.port } == Array(before.prefix(100)))
        // A fifth endpoint takes about 1/5 of the keys; nothing else moves.
        var config = c.config
        config.endpoints.append(EndpointConfig(address: HostPort(host: "127.0.0.1", port: 5)))
        c.update(config)
        let after = keys.map { c.pick(excluding: [], hashKey: $0)!.address.port }
        let moved = zip(before, after).filter { $0 != $1 }
        #expect(moved.allSatisfy { $0.1 == 5 })
        #expect(Double(moved.count) / Double(keys.count) < 0.3)
        withExtendedLifetime(w) {}
    }
}
