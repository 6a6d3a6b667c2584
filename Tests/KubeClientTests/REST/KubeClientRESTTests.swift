// REST calls through libcurl against KubeSim: CRUD, selectors, pagination and typed Status errors.
import Foundation
import KubeClient
import KubeSimServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct KubeClientRESTTests {
    @Test func createGetUpdatePatchDelete() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let created = try await harness.client.create(makeService("echo"))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion != nil)
            #expect(created.spec?.clusterIP?.hasPrefix("10.96.") == true)

            var fetched = try await harness.client.get(Service.self, name: "echo", namespace: "edge")
            #expect(fetched == created)
            fetched.metadata.labels = ["tier": "front"]
            let updated = try await harness.client.update(fetched)
            #expect(updated.metadata.labels == ["tier": "front"])
            #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)

            let stale = await #expect(throws: KubeAPIError.self) { _ = try await harness.client.update(fetched) }
            #expect(stale?.isConflict == true)
            #expect(stale?.status?.reason == .conflict)

            let patched = try await harness.client.patch(Service.self, name: "echo", namespace: "edge",
                                                         mergePatch: Data(#"{"metadata":{"annotations":{"portico.dev/expose":"true"}}}"#.utf8))
            #expect(patched.metadata.annotations?["portico.dev/expose"] == "true")
            #expect(patched.metadata.labels == ["tier": "front"])

            try await harness.client.delete(Service.self, name: "echo", namespace: "edge")
            let missing = await #expect(throws: KubeAPIError.self) { _ = try await harness.client.get(Service.self, name: "echo", namespace: "edge") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.status?.details?.name == "echo")
            #expect(missing?.status?.details?.kind == "services")
            #expect(missing?.status?.message == #"services "echo" not found"#)
        }
    }

    @Test func createEventAndRefuseDuplicates() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            let service = try await harness.client.create(makeService("bad"))
            let event = Event(
                metadata: ObjectMeta(name: "bad.portico.1", namespace: "edge"),
                involvedObject: ObjectReference(apiVersion: "v1", kind: "Service", namespace: "edge", name: "bad", uid: service.metadata.uid),
                reason: "InvalidAnnotation", message: "portico.dev/port: no port named web", type: "Warning",
                source: EventSource(component: "portico-controller"), firstTimestamp: KubeTime(Date()), lastTimestamp: KubeTime(Date()), count: 1)
            let stored = try await harness.client.create(event)
            #expect(stored.reason == "InvalidAnnotation")
            #expect(stored.involvedObject.uid == service.metadata.uid)
            let duplicate = await #expect(throws: KubeAPIError.self) { _ = try await harness.client.create(event) }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.code == 409)
            let noNamespace = await #expect(throws: KubeAPIError.self) { _ = try await harness.client.create(makeService("x", namespace: "ghost")) }
            #expect(noNamespace?.isNotFound == true)
        }
    }

    @Test func labelAndFieldSelectors() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            try await harness.createNamespace("other")
            _ = try await harness.client.create(makeService("a", labels: ["tier": "front", "app": "a"]))
            _ = try await harness.client.create(makeService("b", labels: ["tier": "back"]))
            _ = try await harness.client.create(makeService("c", namespace: "other", labels: ["tier": "front"]))
            func names(_ selector: String?, field: String? = nil, namespace: String? = nil) async throws -> [String] {
                try await harness.client.list(Service.self, namespace: namespace, options: ListOptions(labelSelector: selector, fieldSelector: field))
                    .items.compactMap(\.metadata.name)
            }
            #expect(try await names("tier=front") == ["a", "c"])
            #expect(try await names("tier=front", namespace: "edge") == ["a"])
            #expect(try await names("tier in (front,back),app") == ["a"])
            #expect(try await names("tier!=front") == ["b"])
            #expect(try await names("!app") == ["b", "c"])
            #expect(try await names(nil, field: "metadata.name=b") == ["b"])
            #expect(try await names(nil, field: "metadata.namespace!=edge") == ["c"])
        }
    }

    @Test func fiveThousandEndpointsListedInPages() async throws {
        try await withSim { harness in
            for index in 0..<250 {
                let addresses = (0..<20).map { "10.\(index / 200).\(index % 200).\($0 + 1)" }
                let slice = makeSlice("big-\(String(format: "%03d", index))", service: "big", namespace: "big", addresses: addresses)
                try harness.sim.store.apply(JSONValue.parse(JSONEncoder().encode(slice)))
            }
            let listed = try await harness.client.listAll(EndpointSlice.self, options: ListOptions(limit: 40))
            #expect(listed.items.count == 250)
            #expect(listed.items.reduce(0) { $0 + $1.endpoints.count } == 5000)
            #expect(Set(listed.items.flatMap { $0.endpoints.flatMap(\.addresses) }).count == 5000)
            let pages = harness.requests("list", "endpointslices")
            #expect(pages.count == 7)
            #expect(pages.allSatisfy { $0.query["limit"] == "40" })
            #expect(pages.dropFirst().allSatisfy { $0.query["continue"] != nil })

            let first = try await harness.client.list(EndpointSlice.self, options: ListOptions(limit: 100))
            #expect(first.metadata.remainingItemCount == 150)
            // Compaction after a newer write makes the token's version unreadable.
            _ = try await harness.client.create(makeService("bump", namespace: "big"))
            harness.sim.store.compact()
            let expired = await #expect(throws: KubeAPIError.self) {
                _ = try await harness.client.list(EndpointSlice.self, options: ListOptions(limit: 100, continueToken: first.metadata.continue))
            }
            #expect(expired?.code == 410)
            #expect(expired?.isResourceExpired == true)
            #expect(expired?.status?.reason == .expired)
        }
    }

    @Test func pagesOfOneListShareItsResourceVersion() async throws {
        try await withSim { harness in
            try await harness.createNamespace("edge")
            for name in ["a", "b", "c", "d"] { _ = try await harness.client.create(makeService(name)) }
            let first = try await harness.client.list(Service.self, options: ListOptions(limit: 2))
            try await harness.client.delete(Service.self, name: "c", namespace: "edge")
            _ = try await harness.client.create(makeService("e"))
            let second = try await harness.client.list(Service.self, options: ListOptions(limit: 2, continueToken: first.metadata.continue))
            #expect(second.metadata.resourceVersion == first.metadata.resourceVersion)
            #expect((first.items + second.items).compactMap(\.metadata.name) == ["a", "b", "c", "d"])
        }
    }
}
