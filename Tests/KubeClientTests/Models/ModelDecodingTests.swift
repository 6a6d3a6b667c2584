// Decoding the exact JSON shapes the Kubernetes API sends.
import Foundation
import KubeClient
import Testing

@Suite struct ModelDecodingTests {
    /// The shared fixture, copied into this test target's resources.
    static func fixture(_ key: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "kubernetes-api-shapes", withExtension: "json", subdirectory: "Fixtures"))
        let all = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try JSONSerialization.data(withJSONObject: try #require(all[key]))
    }

    @Test func rolloutSliceKeepsEveryConditionCombination() throws {
        let slice = try JSONDecoder().decode(EndpointSlice.self, from: Self.fixture("rolloutSlice"))
        #expect(slice.metadata.name == "grpc-echo-rollout-example")
        #expect(slice.metadata.namespace == "edge")
        #expect(slice.serviceName == "grpc-echo")
        #expect(slice.metadata.ownerReferences?.first?.kind == "Service")
        #expect(slice.metadata.creationTimestamp?.date != nil)
        #expect(slice.addressType == "IPv4")
        #expect(slice.endpoints.count == 4)
        let states = slice.endpoints.map { [$0.isReady, $0.isServing, $0.isTerminating] }
        #expect(states == [[false, true, true], [false, false, true], [true, true, false], [false, false, false]])
        #expect(slice.endpoints[0].targetRef?.name == "grpc-echo-6d8f9c7b5d-4xkzq")
        #expect(slice.endpoints[0].zone == "zone-a")
        #expect(slice.endpoints[0].nodeName == "kubesim-worker-a")
        #expect(slice.ports == [EndpointPort(name: "grpc", port: 50051, protocol: "TCP", appProtocol: "kubernetes.io/h2c")])
    }

    @Test func placeholderSliceWithNullEndpointsIsEmpty() throws {
        let slice = try JSONDecoder().decode(EndpointSlice.self, from: Self.fixture("placeholderSlice"))
        #expect(slice.endpoints.isEmpty)
        #expect(slice.ports == nil)
        #expect(slice.serviceName == "idle")
    }

    @Test func bookmarkEventCarriesOnlyItsResourceVersion() throws {
        let event = try JSONDecoder().decode(WatchEvent<EndpointSlice>.self, from: Self.fixture("bookmarkEvent"))
        guard case .bookmark(let metadata) = event else { Issue.record("expected a bookmark, got \(event)"); return }
        #expect(metadata.resourceVersion == "12345")
        #expect(metadata.creationTimestamp == nil)
        #expect(event.resourceVersion == "12345")
    }

    @Test func goneEventIsATypedExpiredError() throws {
        let event = try JSONDecoder().decode(WatchEvent<EndpointSlice>.self, from: Self.fixture("goneEvent"))
        guard case .error(let status) = event else { Issue.record("expected an error, got \(event)"); return }
        #expect(status.code == 410)
        #expect(status.reason == .expired)
        #expect(status.message == "too old resource version: 100 (200)")
        let error = KubeAPIError(code: status.code ?? 0, status: status)
        #expect(error.isResourceExpired)
    }

    @Test func conditionsAbsentMeanReadyServingNotTerminating() throws {
        let json = #"{"addresses":["10.0.0.1"]}"#
        let endpoint = try JSONDecoder().decode(Endpoint.self, from: Data(json.utf8))
        #expect(endpoint.conditions == nil)
        #expect(endpoint.isReady && endpoint.isServing && !endpoint.isTerminating)
        let servingDefersToReady = EndpointConditions(ready: false, serving: nil, terminating: nil)
        #expect(!servingDefersToReady.isServing)
    }

    @Test func listItemsWithoutKindAndUnknownFields() throws {
        let json = #"""
        {"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"abc","remainingItemCount":3},
         "items":[{"metadata":{"name":"a","namespace":"edge","resourceVersion":"40","managedFields":[{"manager":"kubectl"}]},
                   "spec":{"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"ipFamilies":["IPv4"],
                           "ports":[{"name":"grpc","port":50051,"targetPort":"grpc","protocol":"TCP","appProtocol":"grpc"},
                                    {"port":8080,"targetPort":8080}],"selector":{"app":"a"}},
                   "status":{"loadBalancer":{}}}]}
        """#
        let list = try JSONDecoder().decode(KubeList<Service>.self, from: Data(json.utf8))
        #expect(list.metadata.resourceVersion == "42")
        #expect(list.metadata.continue == "abc")
        #expect(list.metadata.remainingItemCount == 3)
        let service = try #require(list.items.first)
        #expect(service.kind == nil)
        #expect(service.spec?.ports?[0].targetPort == .string("grpc"))
        #expect(service.spec?.ports?[1].targetPort == .int(8080))
        #expect(service.spec?.clusterIPs == ["10.96.0.10"])
        let empty = try JSONDecoder().decode(KubeList<Service>.self, from: Data(#"{"metadata":{},"items":null}"#.utf8))
        #expect(empty.items.isEmpty)
    }

    @Test func eventWithNullMicroTime() throws {
        let json = #"""
        {"metadata":{"name":"svc.1","namespace":"edge"},"involvedObject":{"kind":"Service","namespace":"edge","name":"svc","uid":"u1"},
         "reason":"InvalidAnnotation","message":"portico.dev/port: no port named x","type":"Warning",
         "source":{"component":"portico-controller"},"firstTimestamp":"2025-06-01T10:00:00Z","lastTimestamp":"2025-06-01T10:05:00Z",
         "count":2,"eventTime":null,"reportingComponent":""}
        """#
        let event = try JSONDecoder().decode(Event.self, from: Data(json.utf8))
        #expect(event.involvedObject.name == "svc")
        #expect(event.count == 2)
        #expect(event.eventTime == nil)
        #expect(event.source?.component == "portico-controller")
        #expect(event.lastTimestamp?.date == KubeTime(rawValue: "2025-06-01T10:05:00Z").date)
    }

    @Test func watchEventTypes() throws {
        let added = #"{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"edge","resourceVersion":"7"},"spec":{}}}"#
        let event = try JSONDecoder().decode(WatchEvent<Service>.self, from: Data(added.utf8))
        #expect(event.resourceVersion == "7")
        let unknown = #"{"type":"SURPRISE","object":{}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WatchEvent<Service>.self, from: Data(unknown.utf8)) }
    }
}
