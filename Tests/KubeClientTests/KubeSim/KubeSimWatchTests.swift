// KubeSim's watch semantics as seen through KubeClient: replay, 410 shape, selector transitions.
import Foundation
import KubeClient
import KubeSimServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct KubeSimWatchTests {
    /// Reads `count` events from a watch, with a deadline.
    static func take<R: KubeResource>(_ count: Int, from stream: WatchEventStream<R>) async throws -> [WatchEvent<R>] {
        try await withThrowingTaskGroup(of: [WatchEvent<R>].self) { group in
            group.addTask {
                var events: [WatchEvent<R>] = []
                for try await event in stream {
                    events.append(event)
                    if events.count == count { break }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw TimedOut(what: "\(count) watch events")
            }
            let events = try await group.next()!
            group.cancelAll()
            return events
        }
    }

    @Test func watchWithoutVersionStartsWithCurrentState() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("a"))
            let stream = try await harness.client.watch(Service.self, namespace: "edge")
            let events = try await Self.take(1, from: stream)
            guard case .added(let service) = events.first else { Issue.record("expected ADDED, got \(events)"); return }
            #expect(service.metadata.name == "a")
            #expect(service.kind == "Service" && service.apiVersion == "v1")
        }
    }

    @Test func tooOldVersionGetsExpiredErrorEventInTheAPIShape() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("a"))
            harness.sim.store.compact()
            let stream = try await harness.client.watch(Service.self, options: WatchOptions(resourceVersion: "1"))
            let events = try await Self.take(1, from: stream)
            guard case .error(let status) = events.first else { Issue.record("expected ERROR, got \(events)"); return }
            #expect(status.kind == "Status")
            #expect(status.apiVersion == "v1")
            #expect(status.status == "Failure")
            #expect(status.reason == .expired)
            #expect(status.code == 410)
            #expect(status.message?.hasPrefix("too old resource version: 1 (") == true)

            harness.sim.store.setWatchGoneAsStatus(true)
            let refused = await #expect(throws: KubeAPIError.self) {
                _ = try await harness.client.watch(Service.self, options: WatchOptions(resourceVersion: "1"))
            }
            #expect(refused?.code == 410)
            #expect(refused?.isResourceExpired == true)
        }
    }

    @Test func boundedHistoryExpiresOldVersions() async throws {
        try await withSim(KubeSimConfiguration(historyLimit: 3)) { harness in
            try await harness.createNamespace("edge")
            let start = String(harness.sim.store.resourceVersion)
            for name in ["a", "b", "c", "d"] { _ = try await harness.client.create(makeService(name)) }
            let stream = try await harness.client.watch(Service.self, options: WatchOptions(resourceVersion: start))
            guard case .error(let status) = try await Self.take(1, from: stream).first else { Issue.record("expected ERROR"); return }
            #expect(status.code == 410)
            let recent = String(harness.sim.store.resourceVersion - 2)
            let replay = try await Self.take(2, from: try await harness.client.watch(Service.self, options: WatchOptions(resourceVersion: recent)))
            #expect(replay.compactMap { if case .added(let s) = $0 { s.metadata.name } else { nil } } == ["c", "d"])
        }
    }

    @Test func objectsLeavingTheSelectorAreDeletedForTheWatcher() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let version = String(harness.sim.store.resourceVersion)
            let stream = try await harness.client.watch(Service.self, namespace: "edge",
                                                        options: WatchOptions(labelSelector: "tier=front", resourceVersion: version))
            _ = try await harness.client.create(makeService("a", labels: ["tier": "back"]))
            _ = try await harness.client.patch(Service.self, name: "a", namespace: "edge", mergePatch: Data(#"{"metadata":{"labels":{"tier":"front"}}}"#.utf8))
            _ = try await harness.client.patch(Service.self, name: "a", namespace: "edge", mergePatch: Data(#"{"spec":{"selector":{"app":"b"}}}"#.utf8))
            _ = try await harness.client.patch(Service.self, name: "a", namespace: "edge", mergePatch: Data(#"{"metadata":{"labels":{"tier":null}}}"#.utf8))
            let events = try await Self.take(3, from: stream)
            let kinds = events.map { event -> String in
                switch event {
                case .added: "ADDED"
                case .modified: "MODIFIED"
                case .deleted: "DELETED"
                case .bookmark: "BOOKMARK"
                case .error: "ERROR"
                }
            }
            #expect(kinds == ["ADDED", "MODIFIED", "DELETED"])
        }
    }

    @Test func bookmarksCarryTheCurrentVersion() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let stream = try await harness.client.watch(EndpointSlice.self, options: WatchOptions(resourceVersion: String(harness.sim.store.resourceVersion)))
            _ = try await harness.client.create(makeService("a"))
            harness.sim.store.sendBookmarks()
            guard case .bookmark(let metadata) = try await Self.take(1, from: stream).first else { Issue.record("expected BOOKMARK"); return }
            #expect(metadata.resourceVersion == String(harness.sim.store.resourceVersion))
        }
    }
}
