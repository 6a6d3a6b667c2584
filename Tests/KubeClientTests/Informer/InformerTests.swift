// The informer against KubeSim: list then watch, ordering, slices of one Service, resume without relist.
import Foundation
import KubeClient
import KubeSimServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct InformerTests {
    @Test func initialListThenWatch() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("a"))
            _ = try await harness.client.create(makeService("b"))
            let informer = Informer<Service>(client: harness.client, options: fastInformerOptions)
            let recorder = EventRecorder<Service>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                #expect(recorder.events == ["added edge/a (initial)", "added edge/b (initial)", "synced"])
                _ = try await harness.client.create(makeService("c"))
                try await eventually("the watch to deliver c") { informer.store.get(namespace: "edge", name: "c") != nil }
                #expect(recorder.events.last == "added edge/c")
            }
            let list = try #require(harness.requests("list", "services").first)
            let watch = try #require(harness.requests("watch", "services").first)
            #expect(harness.requests("list", "services").count == 1)
            #expect(list.query["limit"] == "500")
            #expect(watch.query["allowWatchBookmarks"] == "true")
            #expect(watch.query["resourceVersion"] != nil)
            let timeout = try #require(watch.query["timeoutSeconds"].flatMap { Int($0) })
            #expect((300...600).contains(timeout))
        }
    }

    @Test func addUpdateDeleteSeenInOrder() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let informer = Informer<Service>(client: harness.client, namespace: "edge", options: fastInformerOptions)
            let recorder = EventRecorder<Service>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                recorder.reset()
                var service = try await harness.client.create(makeService("x"))
                service.metadata.labels = ["version": "2"]
                service = try await harness.client.update(service)
                try await harness.client.delete(Service.self, name: "x", namespace: "edge")
                _ = try await harness.client.create(makeService("y"))
                try await eventually("four events") { recorder.events.count >= 4 }
                #expect(recorder.events == ["added edge/x", "updated edge/x", "deleted edge/x", "added edge/y"])
                #expect(informer.store.keys == ["edge/y"])
                #expect(informer.lastSyncResourceVersion == String(harness.sim.store.resourceVersion))
            }
        }
    }

    @Test func serviceSplitAcrossThreeSlices() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("grpc-echo"))
            for (index, name) in ["grpc-echo-a", "grpc-echo-b", "grpc-echo-c"].enumerated() {
                _ = try await harness.client.create(makeSlice(name, service: "grpc-echo", addresses: ["10.0.\(index).1", "10.0.\(index).2"]))
            }
            _ = try await harness.client.create(makeSlice("other-a", service: "other", addresses: ["10.9.9.9"]))
            let informer = Informer<EndpointSlice>(client: harness.client, namespace: "edge",
                                                   labelSelector: "\(EndpointSlice.serviceNameLabel)=grpc-echo", options: fastInformerOptions)
            let recorder = EventRecorder<EndpointSlice>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                #expect(informer.store.keys == ["edge/grpc-echo-a", "edge/grpc-echo-b", "edge/grpc-echo-c"])
                #expect(informer.store.list().flatMap(\.endpoints).count == 6)
                recorder.reset()

                // A pod of slice b starts terminating; slice c loses its label (leaves the selection).
                var b = try await harness.client.get(EndpointSlice.self, name: "grpc-echo-b", namespace: "edge")
                b.endpoints[0].conditions = EndpointConditions(ready: false, serving: true, terminating: true)
                _ = try await harness.client.update(b)
                _ = try await harness.client.patch(EndpointSlice.self, name: "grpc-echo-c", namespace: "edge",
                                                   mergePatch: Data(#"{"metadata":{"labels":{"kubernetes.io/service-name":"moved"}}}"#.utf8))
                try await eventually("two events") { recorder.events.count >= 2 }
                #expect(recorder.events == ["updated edge/grpc-echo-b", "deleted edge/grpc-echo-c"])
                let terminating = try #require(informer.store.get(namespace: "edge", name: "grpc-echo-b")?.endpoints[0])
                #expect(!terminating.isReady && terminating.isServing && terminating.isTerminating)
            }
        }
    }

    @Test func serverClosedWatchResumesWithoutRelistOrLoss() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let informer = Informer<Service>(client: harness.client, options: fastInformerOptions)
            let recorder = EventRecorder<Service>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                recorder.reset()
                for round in 0..<3 {
                    let before = informer.lastSyncResourceVersion
                    try await eventually("a watch to be open") { harness.sim.store.activeWatchCount == 1 }
                    harness.sim.store.dropWatches(graceful: round == 1)
                    // Changes made while the client reconnects must not be lost.
                    _ = try await harness.client.create(makeService("s\(round)"))
                    try await eventually("s\(round)") { informer.store.get(namespace: "edge", name: "s\(round)") != nil }
                    let resumed = harness.requests("watch", "services").filter { $0.query["resourceVersion"] == before }
                    #expect(!resumed.isEmpty, "a watch resumed from \(before ?? "nil")")
                }
                #expect(recorder.events == ["added edge/s0", "added edge/s1", "added edge/s2"])
            }
            #expect(harness.requests("list", "services").count == 1)
        }
    }

    @Test func watchTimeoutEndsAndResumes() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            var options = fastInformerOptions
            options.watchTimeoutSeconds = 1...1
            let informer = Informer<Service>(client: harness.client, options: options)
            let recorder = EventRecorder<Service>()
            informer.addEventHandler(recorder)
            try await running(informer) {
                await informer.waitForSync()
                try await eventually("the server to end a watch", timeout: .seconds(5)) { harness.requests("watch", "services").count >= 2 }
                _ = try await harness.client.create(makeService("late"))
                try await eventually("late") { informer.store.get(namespace: "edge", name: "late") != nil }
            }
            #expect(harness.requests("list", "services").count == 1)
            #expect(recorder.events == ["synced", "added edge/late"])
        }
    }

    @Test func resumesFromBookmarkVersion() async throws {
        try await withSim { harness in
            try await harness.createNamespace("quiet")
            try await harness.createNamespace("busy")
            let informer = Informer<Service>(client: harness.client, namespace: "quiet", options: fastInformerOptions)
            try await running(informer) {
                await informer.waitForSync()
                try await eventually("a watch to be open") { harness.sim.store.activeWatchCount == 1 }
                for index in 0..<5 { _ = try await harness.client.create(makeService("noise-\(index)", namespace: "busy")) }
                let current = String(harness.sim.store.resourceVersion)
                #expect(informer.lastSyncResourceVersion != current)
                harness.sim.store.sendBookmarks()
                try await eventually("the bookmark") { informer.lastSyncResourceVersion == current }
                harness.sim.store.dropWatches()
                try await eventually("a watch from the bookmark") {
                    harness.requests("watch", "services").contains { $0.query["resourceVersion"] == current }
                }
            }
            #expect(harness.requests("list", "services").count == 1)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct InformerEventStreamTests {
    @Test func eventsStreamDeliversInOrderAndFinishesWithRun() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            _ = try await harness.client.create(makeService("a"))
            let informer = Informer<Service>(client: harness.client, namespace: "edge", options: fastInformerOptions)
            let events = informer.events()
            let task = Task { await informer.run() }
            var iterator = events.makeAsyncIterator()
            guard case .added(let a, isInInitialList: true) = await iterator.next() else { Issue.record("expected the initial add"); return }
            #expect(a.metadata.name == "a")
            #expect(await iterator.next() == .synced)
            try await harness.client.delete(Service.self, name: "a", namespace: "edge")
            guard case .deleted(let gone) = await iterator.next() else { Issue.record("expected a delete"); return }
            #expect(gone.metadata.name == "a")
            task.cancel()
            await task.value
            #expect(await iterator.next() == nil)
        }
    }
}
