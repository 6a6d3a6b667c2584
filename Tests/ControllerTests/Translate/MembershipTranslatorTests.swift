// The whole translation: Services and slices in, clusters and problems out.
import Foundation
import KubeClient
import Membership
import Testing
@testable import Controller

@Suite struct MembershipTranslatorTests {
    typealias T = TestObjects

    @Test func exposedServiceBecomesCluster() {
        let services = [T.exposed("echo", ["portico.dev/timeout": "30s", "portico.dev/lb-policy": "least_request",
                                           "portico.dev/health-check-service": "api.Echo"]),
                        T.service("plain")]
        let slices = [T.slice("echo-1", service: "echo", [T.endpoint("10.0.0.1", pod: "echo-1")]),
                      T.slice("plain-1", service: "plain", [T.endpoint("10.0.0.9")]),
                      // Same Service name in another namespace: not joined.
                      T.slice("echo-x", service: "echo", namespace: "other", [T.endpoint("10.0.0.8")])]
        let result = MembershipTranslator.translate(services: services, slices: slices)
        #expect(result.problems.isEmpty)
        #expect(result.clusters == [MembershipCluster(
            name: "edge/echo", grpcServices: ["api.Echo"], port: 9000, lbPolicy: "least_request",
            healthCheck: MembershipHealthCheck(kind: "grpc", service: "api.Echo"), timeoutMilliseconds: 30_000,
            endpoints: [MembershipEndpoint(address: "10.0.0.1", port: 9000, zone: "zone-a", node: "node-a", pod: "echo-1")])])
    }

    @Test func clusterWithoutSlicesHasNoEndpoints() {
        let result = MembershipTranslator.translate(services: [T.exposed("echo", ["portico.dev/health-check": "none"])], slices: [])
        #expect(result.clusters.map(\.endpoints) == [[]])
        #expect(result.clusters.first?.port == 9000)
        #expect(result.clusters.first?.healthCheck.kind == "none")
    }

    @Test func badAnnotationSkipsOnlyThatService() {
        let services = [T.exposed("good"), T.exposed("bad", grpc: "api.Other", ["portico.dev/timeout": "soon"])]
        let result = MembershipTranslator.translate(services: services, slices: [])
        #expect(result.clusters.map(\.name) == ["edge/good"])
        #expect(result.problems.count == 1)
        let problem = result.problems[0]
        #expect(problem.service.description == "edge/bad")
        #expect(problem.reason == .invalidAnnotation)
        #expect(problem.message.contains("portico.dev/timeout"))
    }

    @Test func olderServiceWinsAConflict() {
        let older = T.exposed("older", grpc: "api.Echo,api.Ping", created: "2025-01-01T00:00:00Z")
        let newer = T.exposed("newer", namespace: "aaa", grpc: "api.Reverse, api.Echo", created: "2025-02-01T00:00:00Z")
        let result = MembershipTranslator.translate(services: [newer, older], slices: [])
        #expect(result.clusters.map(\.name) == ["edge/older"])
        #expect(result.problems == [TranslationProblem(
            service: ServiceReference(namespace: "aaa", name: "newer"), reason: .grpcServiceConflict,
            message: "api.Echo is already served by the older Service edge/older")])
    }

    @Test func conflictTieBrokenByName() {
        let b = T.exposed("b"), a = T.exposed("a")
        let result = MembershipTranslator.translate(services: [b, a], slices: [])
        #expect(result.clusters.map(\.name) == ["edge/a"])
        #expect(result.problems.map(\.service.name) == ["b"])
        // A Service without a timestamp counts as the newest.
        let undated = T.exposed("0-undated", created: nil)
        #expect(MembershipTranslator.translate(services: [undated, b], slices: []).clusters.map(\.name) == ["edge/b"])
    }

    @Test func invalidServiceClaimsNothing() {
        // The older Service is invalid, so the newer one gets the gRPC service.
        let older = T.exposed("older", ["portico.dev/lb-policy": "nope"], created: "2025-01-01T00:00:00Z")
        let newer = T.exposed("newer", created: "2025-02-01T00:00:00Z")
        let result = MembershipTranslator.translate(services: [older, newer], slices: [])
        #expect(result.clusters.map(\.name) == ["edge/newer"])
        #expect(result.problems.map(\.reason) == [.invalidAnnotation])
    }

    @Test func fixtureRolloutSlice() throws {
        let url = try #require(Bundle.module.url(forResource: "kubernetes-api-shapes", withExtension: "json",
                                                 subdirectory: "Fixtures"))
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func decode(_ key: String) throws -> EndpointSlice {
            try JSONDecoder().decode(EndpointSlice.self, from: JSONSerialization.data(withJSONObject: root[key]!))
        }
        let rollout = try decode("rolloutSlice"), placeholder = try decode("placeholderSlice")
        let services = [T.exposed("grpc-echo", ports: [ServicePort(name: "grpc", port: 50051, targetPort: .int(50051))]),
                        T.exposed("idle", grpc: "api.Idle", ports: [ServicePort(name: "grpc", port: 50051)])]
        let result = MembershipTranslator.translate(services: services, slices: [rollout, placeholder])
        #expect(result.problems.isEmpty)
        let echo = try #require(result.clusters.first { $0.name == "edge/grpc-echo" })
        #expect(echo.endpoints.map { "\($0.address) \($0.ready) \($0.serving) \($0.terminating)" } == [
            "10.244.0.21 false true true", "10.244.0.30 false false false",
            "10.244.1.14 false false true", "10.244.2.9 true true false"])
        #expect(echo.endpoints.allSatisfy { $0.port == 50051 })
        #expect(echo.endpoints.last?.pod == "grpc-echo-6d8f9c7b5d-h2vnp")
        #expect(echo.endpoints.last?.zone == "zone-c")
        #expect(result.clusters.first { $0.name == "edge/idle" }?.endpoints == [])
    }

    @Test func outputValidatesOnTheProxySide() throws {
        let services = [T.exposed("a", grpc: "api.A", ["portico.dev/lb-policy": "ring_hash", "portico.dev/hash-header": "x-user"]),
                        T.exposed("b", grpc: "api.B", ["portico.dev/lb-policy": "random"])]
        let result = MembershipTranslator.translate(services: services, slices: [T.slice("a-1", service: "a", [T.endpoint("10.0.0.1")])])
        var table = MembershipTable()
        try table.apply(.snapshot(version: 1, clusters: result.clusters))
        #expect(table.clusters.count == 2)
    }

    @Test func printedJSONIsSortedAndPretty() throws {
        let result = MembershipTranslator.translate(services: [T.exposed("a"), T.exposed("b", ["portico.dev/timeout": "x"])], slices: [])
        let json = try MembershipPrinter.json(result)
        #expect(json.contains("\"clusters\" : ["))
        #expect(json.contains("\"name\" : \"edge/a\""))
        #expect(json.contains("\"service\" : \"edge/b\""))
        #expect(json.range(of: "\"clusters\"")!.lowerBound < json.range(of: "\"skipped\"")!.lowerBound)
    }
}
