// Starts the real pipeline for a test: portico-kubesim → portico-controller → portico-proxy.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TestUtilities
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// KubeSim, the controller and a proxy, wired together through a kubeconfig
/// and a membership socket, all on loopback.
final class ControllerPipeline: @unchecked Sendable {
    let kubeSim: ManagedProcess
    let kubeSimPort: Int
    let kubeconfig: URL
    let socketPath: String
    let controllerHTTPPort: Int
    private(set) var controller: ManagedProcess
    let proxy: ManagedProcess
    let proxyPort: Int
    let proxyAdminPort: Int
    let directory: URL

    private init(kubeSim: ManagedProcess, kubeSimPort: Int, kubeconfig: URL, socketPath: String, controllerHTTPPort: Int,
                 controller: ManagedProcess, proxy: ManagedProcess, proxyPort: Int, proxyAdminPort: Int, directory: URL) {
        self.kubeSim = kubeSim
        self.kubeSimPort = kubeSimPort
        self.kubeconfig = kubeconfig
        self.socketPath = socketPath
        self.controllerHTTPPort = controllerHTTPPort
        self.controller = controller
        self.proxy = proxy
        self.proxyPort = proxyPort
        self.proxyAdminPort = proxyAdminPort
        self.directory = directory
    }

    /// Starts everything, loads `objects` and the manifest files or
    /// directories `manifests` into KubeSim first, and waits until the proxy
    /// has its first membership.
    static func start(objects: [[String: Any]], manifests: [String] = []) async throws -> ControllerPipeline {
        let directory = try TestDirectory.makeSubdirectory("controller")
        let ports = try PortAllocator.freePorts(5)
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        let manifest = directory.appendingPathComponent("objects.json")
        try JSONSerialization.data(withJSONObject: ["apiVersion": "v1", "kind": "List", "items": objects])
            .write(to: manifest)
        let kubeSim = try ManagedProcess.start("portico-kubesim", arguments: [
            "--port", String(ports[0]), "--kubeconfig-out", kubeconfig.path, "--manifests", manifest.path,
            "--bookmark-interval", "5"] + manifests.flatMap { ["--manifests", $0] })
        try await kubeSim.waitForOutput(containing: "listening on")

        // Unix socket paths are limited to about 100 bytes: keep it short.
        let socketPath = "/tmp/portico-ctl-\(UUID().uuidString.prefix(8)).sock"
        let controller = try startController(kubeconfig: kubeconfig, socketPath: socketPath, httpPort: ports[1])
        try await controller.waitForPort(ports[1])

        let yaml = """
            listen: 127.0.0.1:\(ports[2])
            admin: 127.0.0.1:\(ports[3])
            health: 127.0.0.1:\(ports[4])
            workers: 2
            membership:
              socket: \(socketPath)

            """
        let config = directory.appendingPathComponent("proxy.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let proxy = try ManagedProcess.start("portico-proxy", arguments: ["--config", config.path])
        try await proxy.waitForPort(ports[2])
        let pipeline = ControllerPipeline(kubeSim: kubeSim, kubeSimPort: ports[0], kubeconfig: kubeconfig,
                                          socketPath: socketPath, controllerHTTPPort: ports[1], controller: controller,
                                          proxy: proxy, proxyPort: ports[2], proxyAdminPort: ports[3], directory: directory)
        try await pipeline.eventually("the proxy receives its first membership") {
            try await httpRequest(port: ports[3], path: "/ready").status == 200
        }
        return pipeline
    }

    static func startController(kubeconfig: URL, socketPath: String, httpPort: Int) throws -> ManagedProcess {
        try ManagedProcess.start("portico-controller", arguments: [
            "--kubeconfig", kubeconfig.path, "--socket", socketPath, "--http", "127.0.0.1:\(httpPort)",
            "--log-level", "debug"])
    }

    /// Kills the controller (SIGKILL: no goodbye) and starts a new one.
    func killController() async {
        controller.kill()
        _ = try? await controller.waitForExit(timeout: .seconds(10))
    }

    func restartController() async throws {
        controller = try Self.startController(kubeconfig: kubeconfig, socketPath: socketPath, httpPort: controllerHTTPPort)
        try await controller.waitForPort(controllerHTTPPort)
    }

    func stop() async {
        _ = await proxy.terminate()
        _ = await controller.terminate()
        _ = await kubeSim.terminate()
        unlink(socketPath)
    }

    /// Everything the processes said, for a failing test's message.
    func report() -> String {
        [kubeSim, controller, proxy].map { $0.report(lines: 30) }.joined(separator: "\n")
    }

    // MARK: Kubernetes objects through KubeSim's control API

    func apply(_ object: [String: Any]) async throws {
        try await control("POST", "/kubesim/objects", JSONSerialization.data(withJSONObject: object))
    }

    func patch(_ resource: String, _ namespace: String, _ name: String, _ patch: [String: Any]) async throws {
        try await control("PATCH", "/kubesim/objects/\(resource)/\(namespace)/\(name)",
                          JSONSerialization.data(withJSONObject: patch))
    }

    func dropWatchesAndCompact() async throws {
        try await control("POST", "/kubesim/watches/drop", Data())
        try await control("POST", "/kubesim/compact", Data())
    }

    /// One object, through the authenticated API (`/api/v1/namespaces/default/services/x`).
    func get(_ path: String) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(kubeSimPort)\(path)")!)
        request.setValue("Bearer kubesim-token", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as! HTTPURLResponse).statusCode == 200,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestUtilityError("GET \(path): \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    /// Events in a namespace, through the authenticated API.
    func events(namespace: String) async throws -> [[String: Any]] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(kubeSimPort)/api/v1/namespaces/\(namespace)/events")!)
        request.setValue("Bearer kubesim-token", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        let list = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return list?["items"] as? [[String: Any]] ?? []
    }

    private func control(_ method: String, _ path: String, _ body: Data) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(kubeSimPort)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.setValue(method == "PATCH" ? "application/merge-patch+json" : "application/json",
                         forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as! HTTPURLResponse).statusCode
        guard (200..<300).contains(status) else {
            throw TestUtilityError("\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))")
        }
    }

    // MARK: RPCs through the proxy

    func withClient<R: Sendable>(_ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        try await GRPCTestClient.withClient(port: proxyPort, security: .plaintext, body)
    }

    /// The hostname that answered an echo, or the gRPC status code of the failure.
    func echoOutcome(_ client: GRPCClient<HTTP2ClientTransport.Posix>) async -> Result<String, RPCError> {
        do {
            let reply = try await client.echo("hi", options: Self.shortDeadline)
            return .success(reply.hostname ?? "?")
        } catch let error as RPCError {
            return .failure(error)
        } catch {
            return .failure(RPCError(code: .unknown, message: "\(error)"))
        }
    }

    static var shortDeadline: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        return options
    }

    /// Polls `condition` until it holds (or fails with the processes' logs).
    func eventually(_ what: String, timeout: Duration = .seconds(15),
                    _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestUtilityError("timed out waiting until \(what)\n\(report())")
    }

    /// Hostnames that answer `count` echo calls (failures as `error <code>`).
    func hostnames(_ client: GRPCClient<HTTP2ClientTransport.Posix>, calls count: Int = 12) async -> Set<String> {
        var seen = Set<String>()
        for _ in 0..<count {
            switch await echoOutcome(client) {
            case .success(let host): seen.insert(host)
            case .failure(let error): seen.insert("error \(error.code)")
            }
        }
        return seen
    }
}

/// Runs `body`, then `cleanup` whether or not it threw.
func withCleanup(_ body: () async throws -> Void, cleanup: () async -> Void) async throws {
    do {
        try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
}
