// Problems become one Warning Event each, on the Service, while they last.
import Foundation
import KubeClient
import Logging
import Synchronization
import Testing
@testable import Controller

@Suite struct ProblemReporterTests {
    static let problem = TranslationProblem(service: ServiceReference(namespace: "edge", name: "bad", uid: "u-1"),
                                            reason: .invalidAnnotation, message: "annotation portico.dev/timeout: bad")

    @Test func eventShape() {
        let event = ProblemReporter.event(for: Self.problem, now: Date(timeIntervalSince1970: 1_750_000_000))
        #expect(event.type == "Warning")
        #expect(event.reason == "InvalidAnnotation")
        #expect(event.message == "annotation portico.dev/timeout: bad")
        #expect(event.metadata.namespace == "edge")
        #expect(event.metadata.name?.hasPrefix("bad.") == true)
        #expect(event.involvedObject == ObjectReference(apiVersion: "v1", kind: "Service", namespace: "edge", name: "bad", uid: "u-1"))
        #expect(event.source?.component == "portico-controller")
        #expect(event.count == 1)
        #expect(event.firstTimestamp?.rawValue == "2025-06-15T15:06:40Z")
    }

    @Test func reportedOncePerAppearance() async {
        let created = Mutex<[Event]>([])
        let metrics = ControllerMetrics()
        let reporter = ProblemReporter(metrics: metrics, logger: Logger(label: "test")) { event in
            created.withLock { $0.append(event) }
        }
        #expect(await reporter.report([Self.problem]).count == 1)
        #expect(await reporter.report([Self.problem]).isEmpty)
        #expect(await reporter.report([]).isEmpty)
        #expect(await reporter.report([Self.problem]).count == 1)
        #expect(created.withLock { $0.count } == 2)
        #expect(metrics.current.kubernetesEventsCreated == 2)
        #expect(metrics.current.skippedServices == 1)
    }

    @Test func failuresAreCounted() async {
        struct Refused: Error {}
        let metrics = ControllerMetrics()
        let reporter = ProblemReporter(metrics: metrics, logger: Logger(label: "test")) { _ in throw Refused() }
        await reporter.report([Self.problem])
        #expect(metrics.current.kubernetesEventsFailed == 1)
        #expect(metrics.prometheusText().contains("portico_controller_kubernetes_event_errors_total 1"))
    }
}
