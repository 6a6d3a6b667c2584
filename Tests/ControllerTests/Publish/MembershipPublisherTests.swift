// The membership protocol as the controller speaks it, without sockets.
import Membership
import Synchronization
import Testing
@testable import Controller

/// Collects what the publisher sends to one fake proxy.
final class Outbox: Sendable {
    private let box = Mutex<[MembershipMessage]>([])
    var messages: [MembershipMessage] { box.withLock { $0 } }
    func take() -> [MembershipMessage] {
        box.withLock { messages in
            let taken = messages
            messages = []
            return taken
        }
    }
    var send: MembershipPublisher.Send { { message in self.box.withLock { $0.append(message) } } }
}

@Suite struct MembershipPublisherTests {
    static func cluster(_ name: String, _ addresses: String...) -> MembershipCluster {
        MembershipCluster(name: name, grpcServices: ["svc.\(name.replacingOccurrences(of: "/", with: "_"))"], port: 9000,
                          endpoints: addresses.map { MembershipEndpoint(address: $0, port: 9000) })
    }

    @Test func nothingBeforeTheFirstPublish() {
        let publisher = MembershipPublisher(firstVersion: 100)
        let proxy = Outbox()
        let id = publisher.connect(send: proxy.send)
        publisher.receive(.hello(node: "p", lastVersion: 7), from: id)
        #expect(proxy.messages.isEmpty)
        #expect(publisher.publish([]) == 101)
        #expect(proxy.take() == [.snapshot(version: 101, clusters: [])])
    }

    @Test func snapshotThenDeltas() {
        let publisher = MembershipPublisher(firstVersion: 0)
        publisher.publish([Self.cluster("ns/a", "10.0.0.1")])
        let proxy = Outbox()
        let id = publisher.connect(send: proxy.send)
        // Nothing until hello.
        #expect(proxy.messages.isEmpty)
        publisher.receive(.hello(node: "p", lastVersion: 0), from: id)
        #expect(proxy.take() == [.snapshot(version: 1, clusters: [Self.cluster("ns/a", "10.0.0.1")])])
        publisher.receive(.ack(version: 1), from: id)

        #expect(publisher.publish([Self.cluster("ns/a", "10.0.0.1", "10.0.0.2"), Self.cluster("ns/b")]) == 2)
        #expect(proxy.take() == [.delta(version: 2, baseVersion: 1,
                                        upserts: [Self.cluster("ns/a", "10.0.0.1", "10.0.0.2"), Self.cluster("ns/b")], removes: [])])
        // Unchanged: no version, nothing sent.
        #expect(publisher.publish([Self.cluster("ns/b"), Self.cluster("ns/a", "10.0.0.1", "10.0.0.2")]) == nil)
        #expect(proxy.messages.isEmpty)
        // Not yet acked: the next delta still builds on what was sent.
        #expect(publisher.publish([Self.cluster("ns/b")]) == 3)
        #expect(proxy.take() == [.delta(version: 3, baseVersion: 2, upserts: [], removes: ["ns/a"])])
    }

    @Test func nackOfADeltaGetsASnapshot() {
        let publisher = MembershipPublisher(firstVersion: 0)
        publisher.publish([Self.cluster("ns/a")])
        let proxy = Outbox()
        let id = publisher.connect(send: proxy.send)
        publisher.receive(.hello(node: "p", lastVersion: 0), from: id)
        publisher.publish([Self.cluster("ns/a", "10.0.0.1")])
        _ = proxy.take()
        publisher.receive(.nack(version: 2, error: "no"), from: id)
        #expect(proxy.take() == [.snapshot(version: 2, clusters: [Self.cluster("ns/a", "10.0.0.1")])])
        // A stale nack (for a message before that snapshot) changes nothing.
        publisher.receive(.nack(version: 1, error: "late"), from: id)
        #expect(proxy.messages.isEmpty)
    }

    @Test func nackOfASnapshotWaitsForTheNextChange() {
        let publisher = MembershipPublisher(firstVersion: 0)
        publisher.publish([Self.cluster("ns/a")])
        let proxy = Outbox()
        let id = publisher.connect(send: proxy.send)
        publisher.receive(.hello(node: "p", lastVersion: 0), from: id)
        _ = proxy.take()
        publisher.receive(.nack(version: 1, error: "no"), from: id)
        #expect(proxy.messages.isEmpty)
        publisher.publish([Self.cluster("ns/b")])
        #expect(proxy.take() == [.snapshot(version: 2, clusters: [Self.cluster("ns/b")])])
        #expect(publisher.current.metrics.nacks == 1)
    }

    @Test func helloWithAnotherVersionGetsASnapshot() {
        let publisher = MembershipPublisher(firstVersion: 10)
        publisher.publish([Self.cluster("ns/a")])
        let proxy = Outbox()
        let id = publisher.connect(send: proxy.send)
        publisher.receive(.hello(node: "p", lastVersion: 3), from: id)
        #expect(proxy.take().count == 1)
        // A second hello on the same connection that matches: nothing to do.
        publisher.receive(.hello(node: "p", lastVersion: 11), from: id)
        #expect(proxy.messages.isEmpty)
        publisher.receive(.hello(node: "p", lastVersion: 5), from: id)
        #expect(proxy.take() == [.snapshot(version: 11, clusters: [Self.cluster("ns/a")])])
    }

    @Test func severalProxiesEachGetTheirOwnBase() {
        let publisher = MembershipPublisher(firstVersion: 0)
        publisher.publish([Self.cluster("ns/a")])
        let first = Outbox(), second = Outbox()
        let one = publisher.connect(send: first.send)
        publisher.receive(.hello(node: "one", lastVersion: 0), from: one)
        publisher.publish([Self.cluster("ns/a", "10.0.0.1")])
        let two = publisher.connect(send: second.send)
        publisher.receive(.hello(node: "two", lastVersion: 0), from: two)
        publisher.publish([Self.cluster("ns/a", "10.0.0.2")])
        #expect(first.take().map(\.kindAndBase) == ["snapshot 1", "delta 2 on 1", "delta 3 on 2"])
        #expect(second.take().map(\.kindAndBase) == ["snapshot 2", "delta 3 on 2"])
        #expect(publisher.current.metrics.connectedProxies == 2)
        publisher.disconnect(one)
        #expect(publisher.current.metrics.connectedProxies == 1)
        publisher.publish([])
        #expect(first.messages.isEmpty)
        #expect(second.take().map(\.kindAndBase) == ["delta 4 on 3"])
    }

    @Test func versionsSurviveARestart() {
        // Seeded from the clock: a new controller continues above the old one.
        let old = MembershipPublisher()
        old.publish([])
        let restarted = MembershipPublisher()
        restarted.publish([])
        #expect(restarted.version >= old.version)
        #expect(old.version > 1_700_000_000_000)
    }
}

extension MembershipPublisher {
    /// The metrics the publisher updates, for the tests.
    var current: (version: UInt64, metrics: ControllerMetrics.Values) { (version, metricsForTests.current) }
}

extension MembershipMessage {
    var kindAndBase: String {
        switch self {
        case .snapshot(let v, _): "snapshot \(v)"
        case .delta(let v, let base, _, _): "delta \(v) on \(base)"
        default: "other"
        }
    }
}
