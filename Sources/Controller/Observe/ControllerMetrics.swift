// Counters of the controller, rendered as Prometheus text on /metrics.
import Synchronization

/// Counters and gauges of one controller process. Thread-safe.
public final class ControllerMetrics: Sendable {
    /// A snapshot of every value.
    public struct Values: Sendable, Equatable {
        /// Membership versions published (one per coalesced change).
        public var versionsPublished = 0
        /// The version in force.
        public var currentVersion: UInt64 = 0
        /// Proxies connected now.
        public var connectedProxies = 0
        /// Snapshots and deltas sent to proxies.
        public var snapshotsSent = 0
        /// Deltas sent to proxies.
        public var deltasSent = 0
        /// ACKs received.
        public var acks = 0
        /// NACKs received.
        public var nacks = 0
        /// Informer notifications received (adds, updates, deletes).
        public var informerEvents = 0
        /// Kubernetes Events created.
        public var kubernetesEventsCreated = 0
        /// Kubernetes Events that could not be created.
        public var kubernetesEventsFailed = 0
        /// Services skipped by the last translation.
        public var skippedServices = 0
        /// Clusters in the membership in force.
        public var clusters = 0
        /// Endpoints in the membership in force.
        public var endpoints = 0
    }

    private let values = Mutex(Values())

    /// Creates zeroed metrics.
    public init() {}

    /// The current values.
    public var current: Values { values.withLock { $0 } }

    /// Changes values under the lock.
    public func update(_ body: (inout Values) -> Void) { values.withLock { body(&$0) } }

    /// Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> String {
        let v = current
        let rows: [(String, String, String, String)] = [
            ("portico_controller_versions_published_total", "counter", "Membership versions published.", "\(v.versionsPublished)"),
            ("portico_controller_membership_version", "gauge", "The membership version in force.", "\(v.currentVersion)"),
            ("portico_controller_connected_proxies", "gauge", "Proxies connected to the membership socket.", "\(v.connectedProxies)"),
            ("portico_controller_snapshots_sent_total", "counter", "Snapshots sent to proxies.", "\(v.snapshotsSent)"),
            ("portico_controller_deltas_sent_total", "counter", "Deltas sent to proxies.", "\(v.deltasSent)"),
            ("portico_controller_acks_total", "counter", "ACKs received from proxies.", "\(v.acks)"),
            ("portico_controller_nacks_total", "counter", "NACKs received from proxies.", "\(v.nacks)"),
            ("portico_controller_informer_events_total", "counter", "Service and EndpointSlice notifications.", "\(v.informerEvents)"),
            ("portico_controller_kubernetes_events_total", "counter", "Kubernetes Events created on Services.", "\(v.kubernetesEventsCreated)"),
            ("portico_controller_kubernetes_event_errors_total", "counter", "Kubernetes Events that could not be created.", "\(v.kubernetesEventsFailed)"),
            ("portico_controller_skipped_services", "gauge", "Exposed Services skipped for a problem.", "\(v.skippedServices)"),
            ("portico_controller_clusters", "gauge", "Clusters in the membership in force.", "\(v.clusters)"),
            ("portico_controller_endpoints", "gauge", "Endpoints in the membership in force.", "\(v.endpoints)"),
        ]
        return rows.map { "# HELP \($0.0) \($0.2)\n# TYPE \($0.0) \($0.1)\n\($0.0) \($0.3)\n" }.joined()
    }
}
