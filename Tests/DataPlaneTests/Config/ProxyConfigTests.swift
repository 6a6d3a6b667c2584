import Testing
@testable import DataPlane

@Suite struct ProxyConfigTests {
    let good = """
        listen: 127.0.0.1:8443
        tls:
          certificate: /etc/portico/tls/tls.crt
          privateKey:  /etc/portico/tls/tls.key
        admin: 127.0.0.1:8090
        health: 0.0.0.0:8080
        workers: 2
        membership:
          socket: /var/run/portico/membership.sock
        clusters:
          - name: echo-grpc
            grpcServices: [api.Echo]
            lbPolicy: round_robin
            healthCheck: {interval: 1s, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 2}
            endpoints: [127.0.0.1:9081, 127.0.0.1:9082]
          - name: reverse-grpc
            grpcServices: [api.Reverse]
            lbPolicy: ring_hash
            hashHeader: x-user
            timeout: 250ms
            endpoints: ["[::1]:9083"]
        """

    @Test func parsesTheDesignExample() throws {
        let c = try ProxyConfig.parse(yaml: good, file: "portico.yaml")
        #expect(c.listen == HostPort(host: "127.0.0.1", port: 8443))
        #expect(c.tls?.certificate == "/etc/portico/tls/tls.crt")
        #expect(c.workers == 2)
        #expect(c.membershipSocket == "/var/run/portico/membership.sock")
        #expect(c.clusters.count == 2)
        #expect(c.clusters[0].healthCheck?.interval == .seconds(1))
        #expect(c.clusters[0].healthCheck?.unhealthyThreshold == 2)
        #expect(c.clusters[0].endpoints.map(\.address.port) == [9081, 9082])
        #expect(c.clusters[1].lbPolicy == .ringHash)
        #expect(c.clusters[1].timeout == .milliseconds(250))
        #expect(c.clusters[1].endpoints[0].address.host == "::1")
    }

    func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try ProxyConfig.parse(yaml: yaml, file: "p.yaml")
            return nil
        } catch let e as ConfigError {
            return e
        } catch {
            return nil
        }
    }

    static let base = "clusters:\n  - name: a\n    grpcServices: [api.A]\n    endpoints: [127.0.0.1:1]\n"

    @Test(arguments: [
        ("listen: nowhere\n" + base, "listen", "expected host:port"),
        ("workers: 0\n" + base, "workers", "out of range"),
        ("workers: two\n" + base, "workers", "expected an integer"),
        ("lisen: 127.0.0.1:1\n" + base, "lisen", "unknown key"),
        ("tls: {certificate: a.crt}\n" + base, "tls.privateKey", "required"),
        ("clusters:\n  - name: a\n    grpcServices: [api.A]\n", "clusters[0].endpoints", "required"),
        ("clusters:\n  - name: a\n    grpcServices: [api.A]\n    endpoints: [localhost]\n",
         "clusters[0].endpoints[0]", "expected host:port"),
        ("clusters:\n  - name: a\n    grpcServices: [api.A]\n    lbPolicy: fastest\n    endpoints: []\n",
         "clusters[0].lbPolicy", "unknown policy \"fastest\""),
        ("clusters:\n  - name: a\n    grpcServices: [api.A]\n    lbPolicy: ring_hash\n    endpoints: []\n",
         "clusters[0].hashHeader", "required when lbPolicy is ring_hash"),
        ("clusters:\n  - name: a\n    grpcServices: [\"api/A\"]\n    endpoints: []\n",
         "clusters[0].grpcServices[0]", "not a gRPC service name"),
        (base + "  - name: b\n    grpcServices: [api.A]\n    endpoints: []\n",
         "clusters[1].grpcServices", "already served by cluster \"a\""),
        (base + "  - name: a\n    grpcServices: [api.B]\n    endpoints: []\n", "clusters[1].name", "defined twice"),
        ("clusters:\n  - name: a\n    grpcServices: [api.A]\n    healthCheck: {interval: soon}\n    endpoints: []\n",
         "clusters[0].healthCheck.interval", "expected a duration"),
        ("admin: 127.0.0.1:8090\n", "clusters", "nothing to serve"),
        ("maxConnectionAge: forever\n" + base, "maxConnectionAge", "expected a duration"),
        ("maxConnectionAgeGrace: -1s\n" + base, "maxConnectionAgeGrace", "expected a duration"),
        (base + "    outlierDetection: {consecutiveErrors: 5}\n", "clusters[0].outlierDetection.consecutiveErrors",
         "unknown key"),
        (base + "    outlierDetection: {maxEjectionPercent: 150}\n", "clusters[0].outlierDetection.maxEjectionPercent",
         "out of range"),
        (base + "    outlierDetection: {baseEjectionTime: 0}\n", "clusters[0].outlierDetection.baseEjectionTime",
         "greater than zero"),
        (base + "    outlierDetection: {baseEjectionTime: 1m, maxEjectionTime: 30s}\n",
         "clusters[0].outlierDetection.maxEjectionTime", "shorter than baseEjectionTime"),
        ("clusters: {}\n", "clusters", "expected a list"),
    ])
    func refusesBadInputNamingTheKey(yaml: String, path: String, problem: String) throws {
        let e = try #require(error(yaml))
        #expect(e.path == path)
        #expect(e.problem.contains(problem), "\(e)")
        #expect(e.description.hasPrefix("p.yaml"))
    }

    @Test func reportsTheLine() throws {
        let e = try #require(error("admin: 127.0.0.1:8090\nworkers: -3\n" + Self.base))
        #expect(e.line == 2)
        #expect(e.description == "p.yaml:2: workers: -3 is out of range (1...256)")
    }

    @Test func refusesInvalidYAML() throws {
        let e = try #require(error("clusters: [\n"))
        #expect(e.problem.contains("not valid YAML"))
    }

    @Test func outlierDetectionAndConnectionAge() throws {
        let c = try ProxyConfig.parse(yaml: "maxConnectionAge: 10m\nmaxConnectionAgeGrace: 30s\n" + Self.base
            + "    outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 10s, maxEjectionTime: 25s, maxEjectionPercent: 20}\n"
            + "  - name: b\n    grpcServices: [api.B]\n    endpoints: []\n")
        #expect(c.maxConnectionAge == .seconds(600))
        #expect(c.maxConnectionAgeGrace == .seconds(30))
        let od = c.clusters[0].outlierDetection
        #expect(od.consecutiveFailures == 3 && od.maxEjectionPercent == 20)
        // base × n, capped.
        #expect([1, 2, 3, 4].map { od.ejectionTime(forEjection: $0) } == [.seconds(10), .seconds(20), .seconds(25), .seconds(25)])
        // At least one (never the only one), else the percentage.
        #expect([1, 2, 5, 10].map { od.maxEjected(of: $0) } == [0, 1, 1, 2])
        // Defaults: on, like Envoy's consecutive 5xx.
        let d = c.clusters[1].outlierDetection
        #expect(d.enabled && d.consecutiveFailures == 5 && d.baseEjectionTime == .seconds(30))
        #expect(d.maxEjectionTime == .seconds(300) && d.maxEjectionPercent == 50)
        #expect(ProxyConfig().maxConnectionAge == .seconds(0))
        var off = OutlierDetectionConfig()
        off.consecutiveFailures = 0
        #expect(!off.enabled)
        off.maxEjectionPercent = 0
        #expect(off.maxEjected(of: 10) == 0)
        off.maxEjectionPercent = 100
        #expect(off.maxEjected(of: 1) == 1)
    }

    @Test func durationsAndAddresses() {
        #expect(ConfigDuration(parsing: "1.5s") == .milliseconds(1500))
        #expect(ConfigDuration(parsing: "2m") == .seconds(120))
        #expect(ConfigDuration(parsing: "0") == .init(nanoseconds: 0))
        #expect(ConfigDuration(parsing: "-1s") == nil)
        #expect(ConfigDuration(parsing: "fast") == nil)
        #expect(HostPort(parsing: "[::1]:80") == HostPort(host: "::1", port: 80))
        #expect(HostPort(parsing: "::1:80") == nil)
        #expect(HostPort(parsing: "a:70000") == nil)
        #expect(HostPort(parsing: "grpc.example.com:443")?.description == "grpc.example.com:443")
    }
}
