// KubeSim as a server: manifests, auth, discovery, the control API over HTTP, and kubectl.
import Foundation
import KubeClient
import KubeSimServer
import Testing
@testable import KubeClient

@Suite(.timeLimit(.minutes(1))) struct KubeSimServerTests {
    static let manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: edge
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: grpc-echo
          namespace: edge
          annotations:
            portico.dev/expose: "true"
            portico.dev/grpc-services: api.Echo
        spec:
          selector: {app: grpc-echo}
          ports:
          - name: grpc
            port: 50051
            targetPort: grpc
            appProtocol: kubernetes.io/h2c
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: grpc-echo-abc12
          namespace: edge
          labels: {kubernetes.io/service-name: grpc-echo}
        addressType: IPv4
        endpoints:
        - addresses: [10.244.0.5]
          conditions: {ready: true, serving: true, terminating: false}
        ports:
        - {name: grpc, port: 50051, protocol: TCP}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: grpc-echo
          namespace: edge
        """

    static func writeManifest(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("manifests.yaml").path
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func loadsManifestsAtStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.writeManifest(in: directory)
        try await withSim(KubeSimConfiguration(manifests: [directory.path])) { harness in
            #expect(harness.sim.manifestReport.loaded.count == 3)
            #expect(harness.sim.manifestReport.skipped.count == 1)
            let service = try await harness.client.get(Service.self, name: "grpc-echo", namespace: "edge")
            #expect(service.metadata.annotations?["portico.dev/grpc-services"] == "api.Echo")
            #expect(service.spec?.ports?.first?.targetPort == .string("grpc"))
            #expect(service.spec?.ports?.first?.protocol == "TCP")
            let slices = try await harness.client.list(EndpointSlice.self, namespace: "edge")
            #expect(slices.items.first?.endpoints.first?.addresses == ["10.244.0.5"])
        }
    }

    @Test func refusesMissingOrWrongToken() async throws {
        try await withSim { harness in
            let anonymous = KubeClient(config: KubeConfig(server: harness.sim.url))
            defer { Task { await anonymous.shutdown() } }
            let error = await #expect(throws: KubeAPIError.self) { _ = try await anonymous.list(Service.self) }
            #expect(error?.code == 401)
            #expect(error?.status?.message == "Unauthorized")
        }
    }

    @Test func discoveryDocuments() async throws {
        try await withSim { harness in
            let transport = HTTPTransport(settings: TransportSettings())
            func get(_ path: String) async throws -> [String: Any] {
                let response = try await transport.perform(HTTPRequest(method: "GET", url: harness.sim.url + path,
                                                                       headers: [("Authorization", "Bearer kubesim-token")], body: nil, timeout: .seconds(5)))
                #expect(response.head.status == 200, "\(path)")
                return try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            }
            #expect(try await get("/version")["gitVersion"] as? String == "v1.31.0-kubesim")
            #expect(try await get("/api")["versions"] as? [String] == ["v1"])
            let groups = try await get("/apis")["groups"] as? [[String: Any]]
            #expect(groups?.compactMap { $0["name"] as? String } == ["discovery.k8s.io"])
            let core = try await get("/api/v1")["resources"] as? [[String: Any]]
            #expect(Set(core?.compactMap { $0["name"] as? String } ?? []) == ["namespaces", "services", "events"])
            let discovery = try await get("/apis/discovery.k8s.io/v1")["resources"] as? [[String: Any]]
            #expect(discovery?.first?["kind"] as? String == "EndpointSlice")
            await transport.shutdown()
        }
    }

    @Test func controlAPIOverHTTP() async throws {
        try await withSim { harness in
            let transport = HTTPTransport(settings: TransportSettings())
            func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> [String: Any] {
                let response = try await transport.perform(HTTPRequest(method: method, url: harness.sim.url + path, headers: [],
                                                                       body: body.map { Data($0.utf8) }, timeout: .seconds(5)))
                #expect(response.head.status == 200, "\(method) \(path): \(String(decoding: response.body, as: UTF8.self))")
                return (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]) ?? [:]
            }
            let applied = try await call("POST", "/kubesim/objects", Self.manifest)
            #expect((applied["applied"] as? [Any])?.count == 3)
            #expect((applied["skipped"] as? [String]) == ["apps/v1 Deployment edge/grpc-echo: not served by KubeSim"])
            #expect(try await harness.client.get(Service.self, name: "grpc-echo", namespace: "edge").metadata.name == "grpc-echo")
            _ = try await call("PATCH", "/kubesim/objects/services/edge/grpc-echo", #"{"metadata":{"labels":{"patched":"yes"}}}"#)
            #expect(try await harness.client.get(Service.self, name: "grpc-echo", namespace: "edge").metadata.labels == ["patched": "yes"])
            _ = try await call("DELETE", "/kubesim/objects/endpointslices/edge/grpc-echo-abc12")

            _ = try await call("POST", "/kubesim/faults", #"{"status":429,"retryAfterSeconds":2,"count":1,"verbs":["get"]}"#)
            let throttled = await #expect(throws: KubeAPIError.self) { _ = try await harness.client.get(Namespace.self, name: "edge") }
            #expect(throttled?.code == 429)
            #expect(throttled?.retryAfter == .seconds(2))
            _ = try await harness.client.get(Namespace.self, name: "edge")

            let stream = try await harness.client.watch(Namespace.self)
            try await eventually("the watch") { harness.sim.store.activeWatchCount == 1 }
            #expect(try await call("POST", "/kubesim/watches/drop")["dropped"] as? Int == 1)
            await #expect(throws: TransportError.self) { for try await _ in stream {} }

            let compacted = try await call("POST", "/kubesim/compact")["compactedThrough"] as? String
            let state = try await call("GET", "/kubesim/state")
            #expect(state["compactedThrough"] as? String == compacted)
            #expect((state["requestCounts"] as? [String: Int])?["watch"] == 1)

            _ = try await call("PUT", "/kubesim/tokens", #"{"tokens":["rotated"]}"#)
            #expect(harness.sim.tokens == ["rotated"])
            await transport.shutdown()
        }
    }

    /// kubectl, when installed (Debian: kubernetes-client), reads KubeSim
    /// through the kubeconfig KubeSim writes. Set KUBECTL to pick a binary.
    static let kubectl: String? = {
        if let path = ProcessInfo.processInfo.environment["KUBECTL"], FileManager.default.isExecutableFile(atPath: path) { return path }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/kubectl"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    @Test(.enabled(if: kubectl != nil, "kubectl is not installed"), arguments: [false, true])
    func kubectlGetWorksThroughTheWrittenKubeconfig(tls: Bool) async throws {
        let kubectl = try #require(Self.kubectl)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try Self.writeManifest(in: directory)
        // kubectl sends bearer tokens only over HTTPS, so plain HTTP runs without auth.
        try await withSim(KubeSimConfiguration(tls: tls, tokens: tls ? ["kubesim-token"] : [], manifests: [manifest])) { harness in
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try harness.sim.kubeconfig().write(to: kubeconfig)
            for resource in ["services", "endpointslices"] {
                let (status, output) = try await Self.run(kubectl, ["--kubeconfig", kubeconfig, "get", resource, "-A"], home: directory.path)
                #expect(status == 0, "kubectl get \(resource) -A: \(output)")
                #expect(output.contains("grpc-echo"), "kubectl get \(resource) -A: \(output)")
            }
            let (status, output) = try await Self.run(kubectl, ["--kubeconfig", kubeconfig, "get", "svc", "-n", "edge", "grpc-echo", "-o", "json"], home: directory.path)
            #expect(status == 0, "\(output)")
            #expect(output.contains("\"portico.dev/grpc-services\": \"api.Echo\""))
        }
    }

    /// Runs a process off the cooperative pool, with a private HOME so kubectl's cache stays in the test directory.
    static func run(_ path: String, _ arguments: [String], home: String) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: path)
                    process.arguments = arguments
                    var environment = ProcessInfo.processInfo.environment
                    environment["HOME"] = home
                    environment["KUBECONFIG"] = nil
                    process.environment = environment
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
