// Starts an in-process KubeSim on a free loopback port and a KubeClient pointed at it.
import Foundation
import KubeClient
import KubeSimServer
import Testing

/// A KubeSim plus a client for it, torn down by ``withSim(_:_:)``.
struct SimHarness {
    let sim: KubeSim
    let client: KubeClient
    let directory: URL

    /// A KubeConfig for the sim with its first token (and CA under TLS).
    static func config(for sim: KubeSim) throws -> KubeConfig {
        try KubeConfig.parse(yaml: sim.kubeconfig().yaml, source: "kubesim kubeconfig")
    }

    /// Creates a namespace through the API.
    func createNamespace(_ name: String) async throws {
        _ = try await client.create(Namespace(name: name))
    }

    /// API requests of one verb (`list`, `watch`, ...) for one resource.
    func requests(_ verb: String, _ resource: String? = nil) -> [RecordedRequest] {
        sim.requests.filter { $0.verb == verb && (resource == nil || $0.resource == resource) }
    }
}

/// Runs `body` against a fresh KubeSim and always stops both afterwards.
func withSim(
    _ configuration: KubeSimConfiguration = KubeSimConfiguration(),
    _ body: (SimHarness) async throws -> Void
) async throws {
    let sim = try await KubeSim.start(configuration)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubesim-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let client = KubeClient(config: try SimHarness.config(for: sim))
    let harness = SimHarness(sim: sim, client: client, directory: directory)
    do {
        try await body(harness)
    } catch {
        await client.shutdown()
        try? await sim.stop()
        try? FileManager.default.removeItem(at: directory)
        throw error
    }
    await client.shutdown()
    try await sim.stop()
    try? FileManager.default.removeItem(at: directory)
}

/// Informer timings shrunk so that tests run in milliseconds; jitter off
/// so that they are deterministic.
let fastInformerOptions = InformerOptions(
    pageSize: 500, watchTimeoutSeconds: 300...600,
    backoff: BackoffPolicy(initial: .milliseconds(20), maximum: .milliseconds(200), factor: 2, jitter: 0, resetAfter: .seconds(5)),
    minimumWatchDuration: .milliseconds(50))

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TimedOut(what: what)
}

/// Runs an informer in a task for the duration of `body`.
func running<Object: KubeResource>(_ informer: Informer<Object>, _ body: () async throws -> Void) async throws {
    let task = Task { await informer.run() }
    do {
        try await body()
    } catch {
        task.cancel()
        await task.value
        throw error
    }
    task.cancel()
    await task.value
}
