// MembershipClient.routing on plain values: the controller's clusters next to the static ones.
import Logging
import Membership
import Testing
@testable import DataPlane

@Suite struct MembershipRoutingTests {
    let logger = Logger(label: "test")

    func table(_ clusters: [MembershipCluster], version: UInt64 = 7) throws -> MembershipTable {
        var t = MembershipTable()
        try t.apply(.snapshot(version: version, clusters: clusters))
        return t
    }

    func staticCluster(_ name: String, _ services: [String]) -> ClusterConfig {
        ClusterConfig(name: name, grpcServices: services,
                      endpoints: [EndpointConfig(address: HostPort(host: "127.0.0.1", port: 9081))])
    }

    @Test func staticClustersAreKeptAndKeepTheirServices() throws {
        let local = staticCluster("local-echo", ["api.Echo"])
        let dynamic = MembershipCluster(name: "edge/echo", grpcServices: ["api.Echo", "api.Echo2"], port: 8081,
                                        endpoints: [MembershipEndpoint(address: "10.0.0.1", port: 8081)])
        let routing = try MembershipClient.routing(for: try table([dynamic]), staticClusters: [local], logger: logger)
        #expect(routing.version == "7")
        #expect(routing.clusters.map(\.name) == ["local-echo", "edge/echo"])
        #expect(routing.clusters[0] == local, "the static cluster was changed")
        // The controller's cluster keeps only what no static cluster serves.
        #expect(routing.clusters[1].grpcServices == ["api.Echo2"])
    }

    @Test func aDynamicClusterLeftWithNoServiceStaysListed() throws {
        // Its endpoints still show in /clusters; it just gets no RPCs.
        let dynamic = MembershipCluster(name: "edge/echo", grpcServices: ["api.Echo"], port: 8081,
                                        endpoints: [MembershipEndpoint(address: "10.0.0.1", port: 8081)])
        let routing = try MembershipClient.routing(for: try table([dynamic]),
                                                   staticClusters: [staticCluster("local", ["api.Echo"])], logger: logger)
        #expect(routing.clusters.map(\.name) == ["local", "edge/echo"])
        #expect(routing.clusters[1].grpcServices.isEmpty)
    }

    @Test func everyFieldOfAMembershipClusterIsTranslated() throws {
        let m = MembershipCluster(
            name: "edge/ring", grpcServices: ["api.Ring"], port: 8081, lbPolicy: "ring_hash", hashHeader: "x-user",
            healthCheck: MembershipHealthCheck(kind: "grpc", service: "api.Ring"), timeoutMilliseconds: 1500,
            circuitBreakers: MembershipCircuitBreakers(maxRequests: 10, maxPendingRequests: nil),
            endpoints: [
                MembershipEndpoint(address: "10.0.0.1", port: 8081),
                MembershipEndpoint(address: "fd00::2", port: 8082, ready: false, serving: true, terminating: true),
            ])
        let plain = MembershipCluster(name: "edge/plain", grpcServices: ["api.Plain"], port: 8081,
                                      healthCheck: MembershipHealthCheck(kind: "none"),
                                      endpoints: [MembershipEndpoint(address: "10.0.0.3", port: 8081)])
        let routing = try MembershipClient.routing(for: try table([plain, m]), staticClusters: [], logger: logger)
        // Sorted by name, whatever the order in the snapshot.
        #expect(routing.clusters.map(\.name) == ["edge/plain", "edge/ring"])
        let ring = routing.clusters[1]
        #expect(ring.lbPolicy == .ringHash && ring.hashHeader == "x-user")
        #expect(ring.healthCheck?.service == "api.Ring")
        #expect(ring.timeout == .milliseconds(1500))
        #expect(ring.circuitBreakers.maxRequests == 10)
        #expect(ring.circuitBreakers.maxPendingRequests == CircuitBreakerConfig().maxPendingRequests)
        #expect(ring.endpoints == [
            EndpointConfig(address: HostPort(host: "10.0.0.1", port: 8081)),
            EndpointConfig(address: HostPort(host: "fd00::2", port: 8082), ready: false, serving: true, terminating: true),
        ])
        let p = routing.clusters[0]
        #expect(p.lbPolicy == .roundRobin)
        #expect(p.healthCheck == nil, "health-check none still checks")
        #expect(p.timeout == nil, "timeout 0 must mean none")
        #expect(p.circuitBreakers == CircuitBreakerConfig())
    }

    @Test func anEmptyTableLeavesTheStaticClustersAlone() throws {
        let statics = [staticCluster("a", ["api.A"]), staticCluster("b", ["api.B"])]
        let routing = try MembershipClient.routing(for: MembershipTable(), staticClusters: statics, logger: logger)
        #expect(routing.clusters == statics)
        #expect(routing.version == "0")
    }
}
