// The pure function at the heart of the controller: Kubernetes objects in, membership out.
import Foundation
import KubeClient
import Membership

/// The membership the controller publishes, and the Services it had to skip.
public struct Translation: Sendable, Equatable {
    /// One cluster per exposed Service, sorted by name (`namespace/service`).
    public var clusters: [MembershipCluster]
    /// Services left out, sorted by Service then message.
    public var problems: [TranslationProblem]

    /// Creates a translation.
    public init(clusters: [MembershipCluster] = [], problems: [TranslationProblem] = []) {
        self.clusters = clusters
        self.problems = problems
    }
}

/// Translates Services and EndpointSlices into membership clusters,
/// following the `portico.dev/` annotations. No I/O: tests call it with
/// plain values.
///
/// ```swift
/// let result = MembershipTranslator.translate(services: services, slices: slices)
/// for problem in result.problems { logger.warning("\(problem)") }
/// publisher.publish(result.clusters)
/// ```
public enum MembershipTranslator {
    /// Exposed Services with valid annotations become clusters; a Service
    /// with a bad annotation, or claiming a gRPC service an older Service
    /// (by creationTimestamp, then namespace/name) already serves, is skipped
    /// and reported.
    public static func translate(services: [Service], slices: [EndpointSlice]) -> Translation {
        var result = Translation()
        var accepted: [(service: Service, settings: ExposureSettings)] = []
        for service in services where ExposureSettings.isExposed(service) {
            do {
                accepted.append((service, try ExposureSettings.parse(service)))
            } catch {
                result.problems.append(TranslationProblem(service: ServiceReference(service), reason: .invalidAnnotation,
                                                          message: error.description))
            }
        }

        var slicesByService: [String: [EndpointSlice]] = [:]
        for slice in slices {
            guard let name = slice.serviceName else { continue }
            slicesByService["\(slice.metadata.namespace ?? "default")/\(name)", default: []].append(slice)
        }

        // Oldest first, so the older Service keeps a contested gRPC service.
        accepted.sort { isOlder($0.service, than: $1.service) }
        var owners: [String: ServiceReference] = [:]
        for (service, settings) in accepted {
            let reference = ServiceReference(service)
            let taken = settings.grpcServices.compactMap { name in owners[name].map { (name, $0) } }
            if !taken.isEmpty {
                let text = taken.map { "\($0.0) is already served by the older Service \($0.1)" }.joined(separator: "; ")
                result.problems.append(TranslationProblem(service: reference, reason: .grpcServiceConflict, message: text))
                continue
            }
            for name in settings.grpcServices { owners[name] = reference }
            let endpoints = ServiceEndpoints.merge(slicesByService[reference.description] ?? [],
                                                   servicePort: settings.servicePort)
            result.clusters.append(MembershipCluster(
                name: reference.description,
                grpcServices: settings.grpcServices,
                port: endpoints.first?.port ?? defaultPort(settings.servicePort),
                lbPolicy: settings.lbPolicy,
                hashHeader: settings.hashHeader,
                healthCheck: MembershipHealthCheck(kind: settings.healthCheck.kind, service: settings.healthCheck.service),
                timeoutMilliseconds: settings.timeoutMilliseconds,
                circuitBreakers: settings.circuitBreakers,
                endpoints: endpoints))
        }
        result.clusters.sort { $0.name < $1.name }
        result.problems.sort { ($0.service, $0.message) < ($1.service, $1.message) }
        return result
    }

    /// The port the cluster advertises before any endpoint exists: the
    /// numeric target port, else the Service port.
    private static func defaultPort(_ port: ServicePort) -> Int {
        if case .int(let number) = port.targetPort { return number }
        return port.port
    }

    private static func isOlder(_ a: Service, than b: Service) -> Bool {
        // A missing timestamp sorts last: such an object was never stored by an API server.
        let ta = a.metadata.creationTimestamp?.date ?? .distantFuture
        let tb = b.metadata.creationTimestamp?.date ?? .distantFuture
        if ta != tb { return ta < tb }
        return ServiceReference(a) < ServiceReference(b)
    }
}
