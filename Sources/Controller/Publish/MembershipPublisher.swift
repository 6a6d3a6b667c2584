// The versioned membership and what each connected proxy has been sent.
import Foundation
import Logging
import Membership
import NIOCore
import Synchronization

/// Holds the membership in force and speaks the membership protocol with
/// every connected proxy: a snapshot after `hello`, deltas against what that
/// proxy was last sent, a fresh snapshot after a `nack` or a `hello` whose
/// `lastVersion` does not match.
///
/// Versions start at the Unix time in milliseconds and grow by one per
/// publish, so they keep increasing across controller restarts and a
/// reconnecting proxy never sees a version go back.
public final class MembershipPublisher: Sendable {
    /// A sink for encoded frames; the server gives one per connection.
    public typealias Send = @Sendable (MembershipMessage) -> Void

    private struct Peer {
        var send: Send
        var node: String?
        /// Clusters the proxy has (or will have, once it applies what was sent).
        var sent: [String: MembershipCluster] = [:]
        var sentVersion: UInt64 = 0
        var lastSnapshotVersion: UInt64 = 0
    }

    private struct State {
        var version: UInt64
        var clusters: [String: MembershipCluster] = [:]
        var published = false
        var peers: [UInt64: Peer] = [:]
        var nextPeer: UInt64 = 1
    }

    private let state: Mutex<State>
    private let metrics: ControllerMetrics
    private let logger: Logger
    var metricsForTests: ControllerMetrics { metrics }

    /// Creates a publisher; `firstVersion` defaults to the Unix time in ms.
    public init(metrics: ControllerMetrics = ControllerMetrics(), firstVersion: UInt64? = nil,
                logger: Logger = Logger(label: "portico.controller.publisher")) {
        let start = firstVersion ?? UInt64(max(0, Int64(Date.now.timeIntervalSince1970 * 1000)))
        state = Mutex(State(version: start))
        self.metrics = metrics
        self.logger = logger
    }

    /// The version in force; 0-based seeds are only for tests.
    public var version: UInt64 { state.withLock { $0.version } }

    /// Whether anything has been published (proxies get nothing before).
    public var hasPublished: Bool { state.withLock { $0.published } }

    /// Makes `clusters` the membership in force and sends each proxy what
    /// changed for it. Returns the new version, or `nil` when nothing changed
    /// (after the first publish).
    @discardableResult
    public func publish(_ clusters: [MembershipCluster]) -> UInt64? {
        var next: [String: MembershipCluster] = [:]
        for c in clusters { next[c.name] = c }
        return state.withLock { state -> UInt64? in
            if state.published && next == state.clusters { return nil }
            state.version += 1
            state.clusters = next
            let first = !state.published
            state.published = true
            for id in state.peers.keys {
                guard let peer = state.peers[id], peer.node != nil else { continue }
                if first || peer.sentVersion == 0 { sendSnapshot(to: id, &state) } else { sendDelta(to: id, &state) }
            }
            let endpointCount = next.values.reduce(0) { $0 + $1.endpoints.count }
            let version = state.version
            metrics.update {
                $0.versionsPublished += 1
                $0.currentVersion = version
                $0.clusters = next.count
                $0.endpoints = endpointCount
            }
            return version
        }
    }

    /// Registers a new connection; returns its id for ``receive(_:from:)``
    /// and ``disconnect(_:)``.
    public func connect(send: @escaping Send) -> UInt64 {
        state.withLock { state in
            let id = state.nextPeer
            state.nextPeer += 1
            state.peers[id] = Peer(send: send)
            let count = state.peers.count
            metrics.update { $0.connectedProxies = count }
            return id
        }
    }

    /// Forgets a closed connection.
    public func disconnect(_ id: UInt64) {
        state.withLock { state in
            if let peer = state.peers.removeValue(forKey: id) {
                logger.info("proxy disconnected", metadata: ["node": "\(peer.node ?? "?")"])
            }
            let count = state.peers.count
            metrics.update { $0.connectedProxies = count }
        }
    }

    /// Handles one message from a proxy.
    public func receive(_ message: MembershipMessage, from id: UInt64) {
        state.withLock { state in
            guard var peer = state.peers[id] else { return }
            switch message {
            case .hello(let node, let lastVersion):
                let first = peer.node == nil
                peer.node = node
                state.peers[id] = peer
                logger.info("proxy said hello", metadata: ["node": "\(node)", "lastVersion": "\(lastVersion)"])
                // Before the first publish the informers have not synced: an
                // empty snapshot would wipe what a proxy still serves.
                guard state.published else { return }
                if first || lastVersion != peer.sentVersion { sendSnapshot(to: id, &state) }
            case .ack(let version):
                metrics.update { $0.acks += 1 }
                logger.debug("ack", metadata: ["node": "\(peer.node ?? "?")", "version": "\(version)"])
            case .nack(let version, let error):
                metrics.update { $0.nacks += 1 }
                logger.warning("proxy refused a membership version", metadata: [
                    "node": "\(peer.node ?? "?")", "version": "\(version)", "error": "\(error)"])
                // Replies to messages sent before the last snapshot are stale;
                // that snapshot already replaces them.
                guard state.published, version >= peer.lastSnapshotVersion else { return }
                if version == peer.lastSnapshotVersion {
                    // The proxy refused a whole snapshot: resending it cannot
                    // help; the next change gets a snapshot again.
                    state.peers[id]?.sentVersion = 0
                } else {
                    sendSnapshot(to: id, &state)
                }
            case .snapshot, .delta:
                logger.warning("ignoring a membership update sent by a proxy")
            }
        }
    }

    private func sendSnapshot(to id: UInt64, _ state: inout State) {
        guard var peer = state.peers[id] else { return }
        let clusters = state.clusters.values.sorted { $0.name < $1.name }
        peer.send(.snapshot(version: state.version, clusters: clusters))
        peer.sent = state.clusters
        peer.sentVersion = state.version
        peer.lastSnapshotVersion = state.version
        state.peers[id] = peer
        metrics.update { $0.snapshotsSent += 1 }
    }

    private func sendDelta(to id: UInt64, _ state: inout State) {
        guard var peer = state.peers[id] else { return }
        let upserts = state.clusters.values.filter { peer.sent[$0.name] != $0 }.sorted { $0.name < $1.name }
        let removes = peer.sent.keys.filter { state.clusters[$0] == nil }.sorted()
        peer.send(.delta(version: state.version, baseVersion: peer.sentVersion, upserts: upserts, removes: removes))
        peer.sent = state.clusters
        peer.sentVersion = state.version
        state.peers[id] = peer
        metrics.update { $0.deltasSent += 1 }
    }
}
