// manifests/ as users apply them: the sample Services exposed by the controller, the proxy config accepted.
import Foundation
import GRPCCore
import Testing
import TestUtilities

/// What users `kubectl apply` is what this test runs: KubeSim loads the
/// manifest files unchanged (it skips the Deployments), pods stand in for
/// the Deployments' replicas, and EndpointSlices name the Service ports the
/// manifests declare. A manifest change that breaks exposure (annotations,
/// port names, selectors of the slices) fails here.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SampleManifestTests {
    typealias O = ControllerObjects

    /// manifests/ in this checkout.
    static let manifests = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests")
    static let samplesDirectory = manifests.appendingPathComponent("samples").path

    /// The samples and what the tutorial routes to them.
    static let samples: [(service: String, grpcService: String, kind: SampleBackend.Kind, addresses: [String])] = [
        ("echo-grpc", "api.Echo", .echo, ["127.0.0.11", "127.0.0.12"]),
        ("reverse-grpc", "api.Reverse", .reverse, ["127.0.0.21", "127.0.0.22"]),
    ]

    @Test func controllerExposesTheSampleServices() async throws {
        var pods = try Pods()
        for sample in Self.samples {
            for address in sample.addresses { try await pods.start(address, sample.kind) }
        }
        let pipeline: ControllerPipeline
        do {
            pipeline = try await ControllerPipeline.start(objects: [], manifests: [Self.samplesDirectory])
        } catch {
            await pods.stopAll()
            throw error
        }
        try await withCleanup {
            for sample in Self.samples {
                // The slice port carries the name of the Service port the
                // Service's portico.dev/port annotation picks.
                let service = try await pipeline.get("/api/v1/namespaces/default/services/\(sample.service)")
                let metadata = service["metadata"] as? [String: Any] ?? [:]
                let annotations = metadata["annotations"] as? [String: String] ?? [:]
                let ports = (service["spec"] as? [String: Any])?["ports"] as? [[String: Any]] ?? []
                let portName = annotations["portico.dev/port"] ?? (ports.first?["name"] as? String ?? "")
                #expect(ports.contains { $0["name"] as? String == portName },
                        "Service \(sample.service): portico.dev/port \(portName) names no port of \(ports)")
                try await pipeline.apply(O.slice("\(sample.service)-abcde", service: sample.service, portName: portName,
                                                 port: pods.port, sample.addresses.map { O.Pod(address: $0) }))
            }

            // The proxy's clusters: one per sample, with the annotated
            // services and policy, every endpoint health-checked over gRPC.
            var clusters: [String: [String: Any]] = [:]
            try await pipeline.eventually("both samples are published with SERVING endpoints") {
                let page = try await httpRequest(port: pipeline.proxyAdminPort, path: "/clusters")
                let json = try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any]
                clusters = [:]
                for cluster in json?["clusters"] as? [[String: Any]] ?? [] {
                    clusters[cluster["name"] as? String ?? ""] = cluster
                }
                return Self.samples.allSatisfy { sample in
                    let endpoints = clusters["default/\(sample.service)"]?["endpoints"] as? [[String: Any]] ?? []
                    return endpoints.count == sample.addresses.count
                        && endpoints.allSatisfy { $0["health"] as? String == "SERVING" && $0["healthy"] as? Bool == true }
                }
            }
            for sample in Self.samples {
                let cluster = clusters["default/\(sample.service)"] ?? [:]
                #expect(cluster["grpc_services"] as? [String] == [sample.grpcService])
                #expect(cluster["lb_policy"] as? String == "round_robin")
                let addresses = (cluster["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
                #expect(Set(addresses) == Set(sample.addresses.map { "\($0):\(pods.port)" }))
            }

            // And the tutorial's calls reach every replica through the proxy.
            try await pipeline.withClient { client in
                var echoHosts = Set<String>()
                for _ in 0..<4 {
                    let reply = try await client.echo("Hello!", options: ControllerPipeline.shortDeadline)
                    #expect(reply.content == "Hello!")
                    echoHosts.insert(reply.hostname ?? "?")
                }
                #expect(echoHosts == ["pod-127.0.0.11", "pod-127.0.0.12"])
                var reverseHosts = Set<String>()
                for _ in 0..<4 {
                    let reply = try await client.reverse("Hello!", options: ControllerPipeline.shortDeadline)
                    #expect(reply.content == "!olleH")
                    reverseHosts.insert(reply.hostname ?? "?")
                }
                #expect(reverseHosts == ["pod-127.0.0.21", "pod-127.0.0.22"])
            }

            // The proxy config the Deployment mounts (manifests/base/portico.yaml)
            // runs as it is; only addresses and file paths, which belong to
            // the pod, are overridden by flags.
            try await Self.withManifestProxy(socket: pipeline.socketPath) { port in
                let certificates = try TestCertificates.shared()
                try await GRPCTestClient.withClient(port: port, security: .tls(certificates)) { client in
                    let reply = try await client.echo("Hello!", options: ControllerPipeline.shortDeadline)
                    #expect(reply.content == "Hello!")
                }
            }
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }

    /// Runs portico-proxy with the base's config file, TLS from the test
    /// certificates, on loopback ports, fed by the controller at `socket`.
    static func withManifestProxy(socket: String, _ body: (_ port: Int) async throws -> Void) async throws {
        let certificates = try TestCertificates.shared()
        let ports = try PortAllocator.freePorts(3)
        let proxy = try ManagedProcess.start("portico-proxy", arguments: [
            "--config", manifests.appendingPathComponent("base/portico.yaml").path,
            "--listen", "127.0.0.1:\(ports[0])", "--health", "127.0.0.1:\(ports[1])", "--admin", "127.0.0.1:\(ports[2])",
            "--tls-certificate", certificates.serverCertificate, "--tls-private-key", certificates.serverKey,
            "--membership-socket", socket])
        try await withCleanup {
            let deadline = ContinuousClock.now + .seconds(15)
            while (try? await httpRequest(port: ports[1], path: "/healthz").status) != 200 {
                guard ContinuousClock.now < deadline, proxy.exitStatus == nil else {
                    throw TestUtilityError("the manifest's proxy never became healthy\n\(proxy.report(lines: 20))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await body(ports[0])
        } cleanup: {
            // SIGKILL: a SIGTERM would wait out the config's drain.delay.
            proxy.kill()
            _ = try? await proxy.waitForExit(timeout: .seconds(10))
        }
    }
}
