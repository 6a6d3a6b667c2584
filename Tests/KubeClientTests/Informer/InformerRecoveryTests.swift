// The informer recovering: 410 Gone → relist with exactly the difference; 429/500 → backoff.
import Foundation
import KubeClient
import KubeSimServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct InformerRecoveryTests {
    /// History compacted while the informer is cut off: its resume version
    /// is gone, so it must relist and report exactly what changed.
    /// Runs with the 410 as an ERROR event (the watch cache's way) and as an HTTP status.
    @Test(arguments: [false, true])
    func compactionWhileDisconnectedRelistsTheDifference(goneAsStatus: Bool) async throws {
        try await withSim { harness in
            harness.sim.store.setWatchGoneAsStatus(goneAsStatus)
            try await harness.createNamespace("edge")
            for name in ["keep", "change", "remove"] { _ = try await harness.client.create(makeService(name)) }
            let informer = Informer<Service>(client: harness.client, options: fastInformerOptions)
            let recorder = EventRecorder<Service>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                try await eventually("a watch to be open") { harness.sim.store.activeWatchCount == 1 }
                recorder.reset()

                // Cut the informer off: every watch fails until the faults are cleared.
                let watchesBefore = harness.requests("watch", "services").count
                harness.sim.injectFault(FaultRule(status: 503, count: -1, verbs: ["watch"]))
                harness.sim.store.dropWatches()
                try await eventually("a refused watch") { harness.requests("watch", "services").count > watchesBefore }
                _ = try await harness.client.create(makeService("added"))
                var change = try await harness.client.get(Service.self, name: "change", namespace: "edge")
                change.metadata.labels = ["changed": "yes"]
                _ = try await harness.client.update(change)
                try await harness.client.delete(Service.self, name: "remove", namespace: "edge")
                _ = try await harness.client.create(makeService("churn"))
                try await harness.client.delete(Service.self, name: "churn", namespace: "edge")
                harness.sim.store.compact()
                harness.sim.clearFaults()

                try await eventually("the relist and a new watch") {
                    harness.requests("list", "services").count == 2 && harness.sim.store.activeWatchCount == 1
                }
                #expect(recorder.events == ["added edge/added", "updated edge/change", "deleted edge/remove"])
                #expect(informer.store.keys == ["edge/added", "edge/change", "edge/keep"])
                #expect(informer.store.get(namespace: "edge", name: "change")?.metadata.labels == ["changed": "yes"])
                #expect(informer.lastSyncResourceVersion == String(harness.sim.store.resourceVersion))
            }
        }
    }

    @Test func tooManyRequestsAndServerErrorsBackOffThenRecover() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let informer = Informer<Service>(client: harness.client, options: fastInformerOptions)
            try await running(informer) {
                await informer.waitForSync()
                try await eventually("a watch to be open") { harness.sim.store.activeWatchCount == 1 }
                harness.sim.injectFault(FaultRule(status: 429, retryAfterSeconds: 1, count: 1, verbs: ["watch"]))
                harness.sim.injectFault(FaultRule(status: 500, count: 3, verbs: ["watch"]))
                harness.sim.clearRequests()
                harness.sim.store.dropWatches()
                _ = try await harness.client.create(makeService("after-outage"))
                try await eventually("recovery", timeout: .seconds(15)) { informer.store.get(namespace: "edge", name: "after-outage") != nil }
            }
            let watches = harness.requests("watch", "services")
            #expect(watches.count == 5)  // 429, 500, 500, 500, then success
            let gaps = zip(watches.dropFirst(), watches).map { $0.atMilliseconds - $1.atMilliseconds }
            #expect(gaps[0] >= 1000, "Retry-After: 1 honoured, waited \(gaps[0]) ms")
            // Exponential: 40, 80, 160 ms after the 20 ms and the Retry-After attempts (jitter off).
            #expect(gaps[1] >= 40 && gaps[2] >= 80 && gaps[3] >= 160, "gaps \(gaps)")
            #expect(harness.requests("list", "services").isEmpty, "no relist for 429/5xx")
        }
    }

    @Test func failingListIsRetriedUntilItSyncs() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("a"))
            harness.sim.injectFault(FaultRule(status: 500, count: 2, verbs: ["list"]))
            harness.sim.injectFault(FaultRule(latencyMilliseconds: 100, count: 1, verbs: ["list"]))
            let informer = Informer<Service>(client: harness.client, options: fastInformerOptions)
            try await running(informer) {
                await informer.waitForSync()
                #expect(informer.store.keys == ["edge/a"])
            }
            #expect(harness.requests("list", "services").count == 3)
        }
    }

    @Test func continueTokenExpiringMidListFallsBackToAFullList() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            for index in 0..<5 { _ = try await harness.client.create(makeService("s\(index)")) }
            // Each page request is held for 300 ms; history is compacted while
            // the second one (carrying the continue token) waits.
            harness.sim.injectFault(FaultRule(latencyMilliseconds: 300, count: 2, verbs: ["list"]))
            var options = fastInformerOptions
            options.pageSize = 2
            let informer = Informer<Service>(client: harness.client, options: options)
            let compactor = Task {
                try await eventually("the second page") { harness.requests("list", "services").count == 2 }
                _ = try await harness.client.create(makeService("bump", namespace: "default"))
                harness.sim.store.compact()
            }
            try await running(informer) {
                await informer.waitForSync()
                try await compactor.value
                #expect(informer.store.count >= 5)
            }
            let lists = harness.requests("list", "services")
            #expect(lists.count == 3)
            #expect(lists[1].query["continue"] != nil)
            #expect(lists.last?.query["limit"] == nil, "fell back to an unpaginated list")
        }
    }
}
