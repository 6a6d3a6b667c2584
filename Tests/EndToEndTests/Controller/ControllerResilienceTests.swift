// Rollouts, a controller restart and a forgetful API under steady RPC load.
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing
import TestUtilities

/// Echo calls in a loop on a few tasks until stopped; counts what happened.
final class SteadyLoad: Sendable {
    private let counts = Mutex<(ok: Int, failures: [String], hosts: [String: Int])>((0, [], [:]))
    private let running = Atomic<Bool>(true)

    func run(_ pipeline: ControllerPipeline, concurrency: Int = 2) async throws {
        try await pipeline.withClient { client in
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        while self.running.load(ordering: .relaxed) {
                            let outcome = await pipeline.echoOutcome(client)
                            self.counts.withLock {
                                switch outcome {
                                case .success(let host): $0.ok += 1; $0.hosts[host, default: 0] += 1
                                case .failure(let error): $0.failures.append("\(error.code): \(error.message)")
                                }
                            }
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
            }
        }
    }

    func stop() { running.store(false, ordering: .relaxed) }
    var ok: Int { counts.withLock { $0.ok } }
    var failures: [String] { counts.withLock { $0.failures } }
    var hosts: [String: Int] { counts.withLock { $0.hosts } }
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct ControllerResilienceTests {
    typealias O = ControllerObjects

    @Test func rollingUpdateUnderLoadFailsNoRPC() async throws {
        var pods = try Pods()
        let old = ["127.0.0.41", "127.0.0.42", "127.0.0.43"], new = ["127.0.0.44", "127.0.0.45", "127.0.0.46"]
        for address in old { try await pods.start(address) }
        var state = old.map { O.Pod(address: $0) }
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", annotations: O.exposed("api.Echo"), port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, state),
        ])
        try await withCleanup {
            try await pipeline.eventually("all old pods answer") {
                try await pipeline.withClient { await pipeline.hostnames($0, calls: 9) } == Set(old.map { "pod-\($0)" })
            }
            let load = SteadyLoad()
            let loadTask = Task { try await load.run(pipeline) }
            for (gone, added) in zip(old, new) {
                // New pod up and ready.
                try await pods.start(added)
                state.append(O.Pod(address: added))
                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port, state))
                try await Task.sleep(for: .milliseconds(300))
                // Old pod terminating (still serving in-flight work).
                state = state.map { $0.address == gone ? O.Pod(address: gone, ready: false, serving: true, terminating: true) : $0 }
                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port, state))
                try await Task.sleep(for: .milliseconds(300))
                // Old pod gone from the slice, then its process ends.
                state.removeAll { $0.address == gone }
                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port, state))
                try await Task.sleep(for: .milliseconds(300))
                await pods.stop(gone)
            }
            try await Task.sleep(for: .milliseconds(300))
            load.stop()
            try await loadTask.value
            #expect(load.failures.isEmpty, "\(load.failures.prefix(5))\n\(pipeline.report())")
            #expect(load.ok > 50)
            let finalHosts = try await pipeline.withClient { await pipeline.hostnames($0, calls: 9) }
            #expect(finalHosts == Set(new.map { "pod-\($0)" }))
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }

    @Test func controllerKilledAndRestartedProxyKeepsServing() async throws {
        var pods = try Pods()
        try await pods.start("127.0.0.51")
        try await pods.start("127.0.0.52")
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", annotations: O.exposed("api.Echo"), port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.51")]),
        ])
        try await withCleanup {
            let load = SteadyLoad()
            let loadTask = Task { try await load.run(pipeline) }
            try await Task.sleep(for: .milliseconds(300))
            await pipeline.killController()
            try await pipeline.eventually("the proxy notices the controller is gone") {
                let ready = try await httpRequest(port: pipeline.proxyAdminPort, path: "/ready")
                return ready.status == 200 && ready.body.contains("controller unreachable")
            }
            // A change made while no controller runs is picked up by the next one.
            try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port,
                                             [O.Pod(address: "127.0.0.51"), O.Pod(address: "127.0.0.52")]))
            try await Task.sleep(for: .milliseconds(500))
            try await pipeline.restartController()
            try await pipeline.eventually("the proxy resyncs with the new controller", timeout: .seconds(20)) {
                load.hosts["pod-127.0.0.52", default: 0] > 0
            }
            let ready = try await httpRequest(port: pipeline.proxyAdminPort, path: "/ready")
            #expect(!ready.body.contains("unreachable"), "\(ready.body)")
            load.stop()
            try await loadTask.value
            #expect(load.failures.isEmpty, "\(load.failures.prefix(5))\n\(pipeline.report())")
            #expect(load.hosts["pod-127.0.0.51", default: 0] > 0)
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }

    @Test func droppedWatchesAndCompactedHistoryConverge() async throws {
        var pods = try Pods()
        for address in ["127.0.0.61", "127.0.0.62", "127.0.0.63"] { try await pods.start(address) }
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", annotations: O.exposed("api.Echo"), port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.61")]),
        ])
        try await withCleanup {
            try await pipeline.withClient { client in
                #expect(await pipeline.hostnames(client, calls: 4) == ["pod-127.0.0.61"])
                // Changes land between the drop and the compaction: resuming
                // the watch from the old version hits 410 and must relist.
                try await pipeline.dropWatchesAndCompact()
                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.62")]))
                try await pipeline.dropWatchesAndCompact()
                try await pipeline.eventually("the controller converges after 410") {
                    await pipeline.hostnames(client, calls: 6) == ["pod-127.0.0.62"]
                }
                // A Service deleted and a slice changed in the same gap.
                try await pipeline.dropWatchesAndCompact()
                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port,
                                                 [O.Pod(address: "127.0.0.62"), O.Pod(address: "127.0.0.63")]))
                try await pipeline.patch("services", O.namespace, "echo",
                                         ["metadata": ["annotations": ["portico.dev/lb-policy": "random"]]])
                try await pipeline.dropWatchesAndCompact()
                try await pipeline.eventually("the controller converges again") {
                    await pipeline.hostnames(client, calls: 12) == ["pod-127.0.0.62", "pod-127.0.0.63"]
                }
                // The Service change made in the same gap arrived too.
                try await pipeline.eventually("the lb-policy change reaches the proxy") {
                    try await httpRequest(port: pipeline.proxyAdminPort, path: "/clusters").body
                        .contains("\"lb_policy\":\"random\"")
                }
            }
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }
}
