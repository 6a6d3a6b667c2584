// Every portico.dev/ annotation, valid and invalid.
import KubeClient
import Membership
import Testing
@testable import Controller

@Suite struct ExposureSettingsTests {
    typealias T = TestObjects

    private func parse(_ extra: [String: String], grpc: String = "api.Echo",
                       ports: [ServicePort] = [ServicePort(name: "grpc", port: 50051, targetPort: .int(9000))]) throws -> ExposureSettings {
        try ExposureSettings.parse(T.exposed("s", grpc: grpc, extra, ports: ports))
    }

    private func failure(_ extra: [String: String], grpc: String = "api.Echo",
                         ports: [ServicePort] = [ServicePort(name: "grpc", port: 50051)]) -> AnnotationError? {
        do { _ = try parse(extra, grpc: grpc, ports: ports); return nil } catch { return error as? AnnotationError }
    }

    @Test func defaults() throws {
        let s = try parse([:])
        #expect(s.grpcServices == ["api.Echo"])
        #expect(s.servicePort.name == "grpc")
        #expect(s.lbPolicy == "round_robin")
        #expect(s.hashHeader == nil)
        #expect(s.healthCheck == MembershipHealthCheckSettings(kind: "grpc", service: ""))
        #expect(s.timeoutMilliseconds == 0)
    }

    @Test func exposeValues() {
        #expect(!ExposureSettings.isExposed(T.service("a")))
        #expect(!ExposureSettings.isExposed(T.service("a", annotations: ["portico.dev/expose": "false"])))
        #expect(ExposureSettings.isExposed(T.service("a", annotations: ["portico.dev/expose": "true"])))
        // Anything else is exposed-but-invalid, so the user hears about the typo.
        #expect(ExposureSettings.isExposed(T.service("a", annotations: ["portico.dev/expose": "yes"])))
        #expect(failure(["portico.dev/expose": "yes"])?.annotation == "portico.dev/expose")
    }

    @Test func grpcServices() throws {
        #expect(try parse([:], grpc: " api.Echo , api.Reverse,api.Echo,, ").grpcServices == ["api.Echo", "api.Reverse"])
        #expect(try parse([:], grpc: "Echo").grpcServices == ["Echo"])
        #expect(try parse([:], grpc: "grpc.health.v1.Health").grpcServices == ["grpc.health.v1.Health"])
        #expect(failure([:], grpc: "")?.annotation == "portico.dev/grpc-services")
        #expect(failure([:], grpc: " , ")?.problem == "lists no gRPC service")
        #expect(failure([:], grpc: "api/Echo")?.problem.contains("not a gRPC service name") == true)
        #expect(failure([:], grpc: "api..Echo") != nil)
        #expect(failure([:], grpc: "1api.Echo") != nil)
        var missing = T.exposed("s")
        missing.metadata.annotations?["portico.dev/grpc-services"] = nil
        #expect(throws: AnnotationError.self) { try ExposureSettings.parse(missing) }
    }

    @Test func portByNameAndNumber() throws {
        let ports = [ServicePort(name: "grpc", port: 50051, targetPort: .int(9000)),
                     ServicePort(name: "metrics", port: 9090, targetPort: .string("metrics"))]
        #expect(try parse(["portico.dev/port": "metrics"], ports: ports).servicePort.name == "metrics")
        #expect(try parse(["portico.dev/port": "50051"], ports: ports).servicePort.name == "grpc")
        // A number that is only a target port still names the Service port behind it.
        #expect(try parse(["portico.dev/port": "9000"], ports: ports).servicePort.name == "grpc")
        #expect(failure(["portico.dev/port": "admin"], ports: ports)?.problem.contains("no port named \"admin\"") == true)
        #expect(failure(["portico.dev/port": "1234"], ports: ports)?.problem.contains("no port 1234") == true)
        #expect(failure([:], ports: ports)?.problem.contains("several ports") == true)
        #expect(failure([:], ports: [])?.problem == "the Service has no ports")
    }

    @Test(arguments: ["round_robin", "least_request", "random"])
    func lbPolicies(policy: String) throws {
        #expect(try parse(["portico.dev/lb-policy": policy]).lbPolicy == policy)
    }

    @Test func ringHashNeedsHeader() throws {
        #expect(failure(["portico.dev/lb-policy": "ring_hash"])?.annotation == "portico.dev/hash-header")
        let s = try parse(["portico.dev/lb-policy": "ring_hash", "portico.dev/hash-header": "X-User"])
        #expect(s.lbPolicy == "ring_hash" && s.hashHeader == "x-user")
        #expect(failure(["portico.dev/lb-policy": "fastest"])?.annotation == "portico.dev/lb-policy")
    }

    @Test func healthCheck() throws {
        #expect(try parse(["portico.dev/health-check": "none"]).healthCheck.kind == "none")
        #expect(try parse(["portico.dev/health-check": "grpc"]).healthCheck.kind == "grpc")
        let s = try parse(["portico.dev/health-check-service": "api.Echo"])
        #expect(s.healthCheck == MembershipHealthCheckSettings(kind: "grpc", service: "api.Echo"))
        #expect(failure(["portico.dev/health-check": "http"])?.annotation == "portico.dev/health-check")
    }

    @Test(arguments: [("0", 0), ("30s", 30_000), ("1.5s", 1500), ("250ms", 250), ("1m30s", 90_000), ("2h", 7_200_000),
                      ("0s", 0)])
    func timeouts(text: String, milliseconds: Int) throws {
        #expect(try parse(["portico.dev/timeout": text]).timeoutMilliseconds == milliseconds)
    }

    @Test(arguments: ["abc", "10", "-1s", "s", "1d", "1.2.3s", ""])
    func badTimeouts(text: String) {
        #expect(failure(["portico.dev/timeout": text])?.annotation == "portico.dev/timeout")
    }

    @Test func circuitBreakers() throws {
        #expect(try parse([:]).circuitBreakers == nil, "unset: the proxy's defaults")
        let s = try parse(["portico.dev/max-requests": "200", "portico.dev/max-pending-requests": "50"])
        #expect(s.circuitBreakers == MembershipCircuitBreakers(maxRequests: 200, maxPendingRequests: 50))
        #expect(try parse(["portico.dev/max-requests": "7"]).circuitBreakers
                == MembershipCircuitBreakers(maxRequests: 7, maxPendingRequests: nil))
        for bad in ["0", "-3", "many", "1.5", "10000001"] {
            #expect(failure(["portico.dev/max-pending-requests": bad])?.annotation == "portico.dev/max-pending-requests")
        }
    }

    @Test func unknownAnnotationIsReported() {
        let error = failure(["portico.dev/timout": "1s"])
        #expect(error?.annotation == "portico.dev/timout")
        #expect(error?.problem.contains("unknown annotation") == true)
        // Other prefixes are none of our business.
        #expect(failure(["example.com/timout": "1s"]) == nil)
    }
}
