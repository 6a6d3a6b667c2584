// Turns translation problems into log lines and Kubernetes Events, once each.
import Foundation
import KubeClient
import Logging
import Synchronization

/// Reports each skipped Service once while its problem lasts: a log line
/// and a Warning Event on the Service. A problem that goes away and comes
/// back is reported again.
public final class ProblemReporter: Sendable {
    /// Creates the Event; KubeClient's `create` in production.
    public typealias CreateEvent = @Sendable (Event) async throws -> Void

    private let reported = Mutex<Set<TranslationProblem>>([])
    private let createEvent: CreateEvent
    private let metrics: ControllerMetrics
    private let logger: Logger
    /// `source.component` / `reportingComponent` of the Events.
    public static let component = "portico-controller"

    /// Creates a reporter that writes Events with `createEvent`.
    public init(metrics: ControllerMetrics, logger: Logger, createEvent: @escaping CreateEvent) {
        self.createEvent = createEvent
        self.metrics = metrics
        self.logger = logger
    }

    /// Creates a reporter that writes Events through `client`.
    public convenience init(client: KubeClient, metrics: ControllerMetrics, logger: Logger) {
        self.init(metrics: metrics, logger: logger) { event in _ = try await client.create(event) }
    }

    /// Reports the problems not reported yet; returns them.
    @discardableResult
    public func report(_ problems: [TranslationProblem]) async -> [TranslationProblem] {
        let fresh = takeNew(problems)
        await record(fresh)
        return fresh
    }

    /// Remembers the current problems and returns those not reported yet,
    /// after logging them. Synchronous, so the order of translations is the
    /// order of bookkeeping even when Events are written in the background.
    public func takeNew(_ problems: [TranslationProblem]) -> [TranslationProblem] {
        let current = Set(problems)
        let fresh = reported.withLock { reported in
            defer { reported = current }
            return problems.filter { !reported.contains($0) }
        }
        metrics.update { $0.skippedServices = Set(problems.map(\.service)).count }
        for problem in fresh {
            logger.warning("skipping Service", metadata: [
                "service": "\(problem.service)", "reason": "\(problem.reason.rawValue)", "problem": "\(problem.message)"])
        }
        return fresh
    }

    /// Writes one Warning Event per problem.
    public func record(_ problems: [TranslationProblem]) async {
        for problem in problems {
            do {
                try await createEvent(Self.event(for: problem))
                metrics.update { $0.kubernetesEventsCreated += 1 }
            } catch {
                metrics.update { $0.kubernetesEventsFailed += 1 }
                logger.error("cannot create an Event on Service \(problem.service): \(error)")
            }
        }
    }

    /// The Event for a problem: type Warning, involvedObject the Service.
    public static func event(for problem: TranslationProblem, now: Date = .now) -> Event {
        let time = KubeTime(now)
        // Like client-go's recorder: the object name plus a unique suffix.
        let suffix = String(UInt64(now.timeIntervalSince1970 * 1_000_000_000), radix: 16)
        var event = Event(
            metadata: ObjectMeta(name: "\(problem.service.name).\(suffix)", namespace: problem.service.namespace),
            involvedObject: ObjectReference(apiVersion: "v1", kind: "Service", namespace: problem.service.namespace,
                                            name: problem.service.name, uid: problem.service.uid),
            reason: problem.reason.rawValue, message: problem.message, type: "Warning",
            source: EventSource(component: component), firstTimestamp: time, lastTimestamp: time, count: 1)
        event.reportingComponent = component
        event.reportingInstance = ProcessInfo.processInfo.hostName
        event.action = "Expose"
        return event
    }
}
