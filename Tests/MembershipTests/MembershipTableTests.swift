import Testing
@testable import Membership

@Suite struct MembershipTableTests {
    func cluster(_ name: String, _ services: [String], ports: [Int] = [9081]) -> MembershipCluster {
        MembershipCluster(name: name, grpcServices: services, port: 9081,
                          endpoints: ports.map { MembershipEndpoint(address: "10.0.0.1", port: $0) })
    }

    @Test func snapshotThenDeltas() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: [cluster("edge/echo", ["api.Echo"])]))
        #expect(t.version == 1)
        try t.apply(.delta(version: 2, baseVersion: 1, upserts: [cluster("edge/rev", ["api.Reverse"])], removes: []))
        #expect(Set(t.clusters.keys) == ["edge/echo", "edge/rev"])
        try t.apply(.delta(version: 3, baseVersion: 2, upserts: [], removes: ["edge/echo"]))
        #expect(Set(t.clusters.keys) == ["edge/rev"])
    }

    @Test func badUpdatesChangeNothing() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: [cluster("edge/echo", ["api.Echo"])]))
        let before = t
        #expect(throws: MembershipError.self) {
            try t.apply(.delta(version: 3, baseVersion: 2, upserts: [], removes: ["edge/echo"]))
        }
        #expect(throws: MembershipError.self) {
            try t.apply(.delta(version: 2, baseVersion: 1, upserts: [cluster("edge/other", ["api.Echo"])], removes: []))
        }
        var bad = cluster("edge/bad", ["api.Bad"])
        bad.lbPolicy = "fastest"
        #expect(throws: MembershipError.self) {
            try t.apply(.snapshot(version: 2, clusters: [bad]))
        }
        #expect(throws: MembershipError.self) {
            try t.apply(.snapshot(version: 2, clusters: [cluster("a", ["api.A"], ports: [0])]))
        }
        #expect(t == before)
    }

    @Test func framesRoundTrip() throws {
        let messages: [MembershipMessage] = [
            .hello(node: "portico-0", lastVersion: 7), .ack(version: 3), .nack(version: 4, error: "no"),
            .snapshot(version: 5, clusters: [cluster("edge/echo", ["api.Echo"], ports: [1, 2])]),
            .delta(version: 6, baseVersion: 5, upserts: [], removes: ["edge/echo"]),
        ]
        for m in messages {
            let frame = try MembershipFrame.encode(m)
            let length = Int(frame[0]) << 24 | Int(frame[1]) << 16 | Int(frame[2]) << 8 | Int(frame[3])
            #expect(length == frame.count - 4)
            #expect(try MembershipFrame.decode(Array(frame.dropFirst(4))) == m)
        }
    }

    @Test func badFramesSayWhatIsWrong() {
        func error(_ json: String) -> String {
            do {
                _ = try MembershipFrame.decode(Array(json.utf8))
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(error("{") == "not valid JSON")
        #expect(error(#"{"type":"warp"}"#).contains("unknown message type \"warp\""))
        #expect(error(#"{"type":"ack"}"#) == "missing field \"version\"")
        #expect(error(#"{"type":"snapshot","version":1,"clusters":[{"name":"a"}]}"#).contains("clusters[0]"))
    }

    @Test func endpointAddressesMustBeIPs() throws {
        var t = MembershipTable()
        for good in ["10.0.0.1", "fd00::1", "::1"] {
            let c = MembershipCluster(name: "a", grpcServices: ["api.Echo"], port: 1,
                                      endpoints: [MembershipEndpoint(address: good, port: 9081)])
            try t.apply(.snapshot(version: t.version + 1, clusters: [c]))
        }
        for bad in ["echo.example.com", "10.0.0", "[fd00::1]", "10.0.0.1:80", " 10.0.0.1"] {
            let c = MembershipCluster(name: "a", grpcServices: ["api.Echo"], port: 1,
                                      endpoints: [MembershipEndpoint(address: bad, port: 9081)])
            #expect(throws: MembershipError.self, "\(bad)") { try t.apply(.snapshot(version: t.version + 1, clusters: [c])) }
        }
    }
}

@Suite struct MembershipTableEdgeCaseTests {
    func cluster(_ name: String, _ services: [String], port: Int = 9081) -> MembershipCluster {
        MembershipCluster(name: name, grpcServices: services, port: port,
                          endpoints: [MembershipEndpoint(address: "10.0.0.1", port: port)])
    }

    @Test func aClusterTwiceInOneSnapshotIsRefused() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: [cluster("edge/echo", ["api.Echo"])]))
        let before = t
        let twice = [cluster("edge/rev", ["api.Reverse"]), cluster("edge/rev", ["api.Reverse2"], port: 9082)]
        let error = #expect(throws: MembershipError.self) { try t.apply(.snapshot(version: 2, clusters: twice)) }
        #expect(error.map { "\($0)" } == "cluster \"edge/rev\" appears twice")
        #expect(t == before)
    }

    @Test func aClusterUpsertedTwiceInOneDeltaIsRefused() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: []))
        let before = t
        let twice = [cluster("edge/rev", ["api.Reverse"]), cluster("edge/rev", ["api.Reverse"], port: 9082)]
        let error = #expect(throws: MembershipError.self) {
            try t.apply(.delta(version: 2, baseVersion: 1, upserts: twice, removes: []))
        }
        #expect(error.map { "\($0)" } == "cluster \"edge/rev\" is upserted twice")
        #expect(t == before)
    }

    @Test func removeAndUpsertOfOneNameInOneDeltaKeepsTheUpsert() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: [cluster("edge/echo", ["api.Echo"])]))
        // Deleted and re-created with another port and service: the new one is in force.
        let recreated = cluster("edge/echo", ["api.Echo", "api.Echo2"], port: 9090)
        try t.apply(.delta(version: 2, baseVersion: 1, upserts: [recreated], removes: ["edge/echo"]))
        #expect(t.version == 2)
        #expect(t.clusters == ["edge/echo": recreated])
        // Removing a name that is not there is no error (the delta is a difference).
        try t.apply(.delta(version: 3, baseVersion: 2, upserts: [], removes: ["edge/gone"]))
        #expect(t.clusters == ["edge/echo": recreated])
    }

    @Test(arguments: [(UInt64(1), UInt64(1)), (0, 1), (4, 5)])
    func aDeltaWhoseVersionIsNotAboveItsBaseIsRefused(version: UInt64, base: UInt64) throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: base, clusters: [cluster("edge/echo", ["api.Echo"])]))
        let before = t
        let error = #expect(throws: MembershipError.self) {
            try t.apply(.delta(version: version, baseVersion: base, upserts: [cluster("edge/rev", ["api.Reverse"])],
                               removes: ["edge/echo"]))
        }
        #expect(error.map { "\($0)" } == "delta \(version) is not above its base version \(base)")
        #expect(t == before)
        #expect(t.version == base)
    }

    @Test func aDeltaThatMovesAServiceBetweenClustersApplies() throws {
        var t = MembershipTable()
        try t.apply(.snapshot(version: 1, clusters: [cluster("edge/old", ["api.Echo"])]))
        // The service moves in one delta: removed from one, added to another; never claimed twice.
        try t.apply(.delta(version: 2, baseVersion: 1, upserts: [cluster("edge/new", ["api.Echo"])], removes: ["edge/old"]))
        #expect(Set(t.clusters.keys) == ["edge/new"])
        // Without the remove, both would claim it: refused as a whole.
        #expect(throws: MembershipError.self) {
            try t.apply(.delta(version: 3, baseVersion: 2, upserts: [cluster("edge/third", ["api.Echo"])], removes: []))
        }
        #expect(t.version == 2)
    }
}
