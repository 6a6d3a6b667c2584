// The `portico.dev/` annotations of one Service, parsed and checked.
import Foundation
import KubeClient
import Membership

/// What a Service's annotations ask for, before endpoints are attached.
public struct ExposureSettings: Sendable, Equatable {
    /// The annotation prefix.
    public static let prefix = "portico.dev/"
    /// Every annotation the controller understands (without the prefix).
    public static let known: Set<String> = [
        "expose", "grpc-services", "port", "lb-policy", "hash-header", "health-check", "health-check-service", "timeout",
        "max-requests", "max-pending-requests",
    ]
    static let policies = ["round_robin", "least_request", "random", "ring_hash"]

    /// gRPC services, e.g. `api.Echo`, in annotation order without duplicates.
    public var grpcServices: [String]
    /// The Service port to send to.
    public var servicePort: ServicePort
    /// `round_robin`, `least_request`, `random` or `ring_hash`.
    public var lbPolicy: String
    /// Request header hashed by `ring_hash` (`portico.dev/hash-header`).
    public var hashHeader: String?
    /// Active health checking.
    public var healthCheck: MembershipHealthCheckSettings
    /// Route timeout in milliseconds; 0 for none.
    public var timeoutMilliseconds: Int
    /// Circuit breakers (`max-requests`, `max-pending-requests`); nil: the proxy's defaults.
    public var circuitBreakers: MembershipCircuitBreakers? = nil

    /// Whether `portico.dev/expose` is `"true"`. Any other value than
    /// `"true"`/`"false"` is reported by ``parse(_:)``.
    public static func isExposed(_ service: Service) -> Bool {
        guard let value = service.metadata.annotations?[prefix + "expose"] else { return false }
        return value != "false"
    }

    /// Reads the annotations of an exposed Service.
    /// - Throws: ``AnnotationError`` naming the annotation and the problem.
    public static func parse(_ service: Service) throws(AnnotationError) -> ExposureSettings {
        let annotations = service.metadata.annotations ?? [:]
        func value(_ key: String) -> String? {
            annotations[prefix + key].map { $0.trimmingCharacters(in: .whitespaces) }
        }
        func fail(_ key: String, _ problem: String) -> AnnotationError {
            AnnotationError(annotation: prefix + key, problem: problem)
        }
        for key in annotations.keys.sorted() where key.hasPrefix(prefix) {
            let name = String(key.dropFirst(prefix.count))
            if !known.contains(name) {
                throw AnnotationError(annotation: key, problem: "unknown annotation (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        if let expose = value("expose"), expose != "true" {
            throw fail("expose", "must be \"true\" or \"false\", not \"\(expose)\"")
        }

        guard let list = value("grpc-services"), !list.isEmpty else {
            throw fail("grpc-services", "required: the comma-separated gRPC services to route, e.g. api.Echo")
        }
        var services: [String] = []
        for item in list.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            guard isGRPCServiceName(name) else {
                throw fail("grpc-services", "\"\(name)\" is not a gRPC service name (package.Service)")
            }
            if !services.contains(name) { services.append(name) }
        }
        if services.isEmpty { throw fail("grpc-services", "lists no gRPC service") }

        let ports = service.spec?.ports ?? []
        let servicePort: ServicePort
        if let wanted = value("port") {
            if let number = Int(wanted) {
                guard let match = ports.first(where: { $0.port == number })
                        ?? ports.first(where: { $0.targetPort == .int(number) }) else {
                    throw fail("port", "the Service has no port \(number) (ports: \(describe(ports)))")
                }
                servicePort = match
            } else {
                guard let match = ports.first(where: { $0.name == wanted }) else {
                    throw fail("port", "the Service has no port named \"\(wanted)\" (ports: \(describe(ports)))")
                }
                servicePort = match
            }
        } else {
            guard ports.count == 1 else {
                throw fail("port", ports.isEmpty ? "the Service has no ports"
                           : "required when the Service has several ports (ports: \(describe(ports)))")
            }
            servicePort = ports[0]
        }

        let policy = value("lb-policy") ?? "round_robin"
        guard policies.contains(policy) else {
            throw fail("lb-policy", "\"\(policy)\" is not one of \(policies.joined(separator: ", "))")
        }
        let hashHeader = value("hash-header").flatMap { $0.isEmpty ? nil : $0.lowercased() }
        if policy == "ring_hash" && hashHeader == nil {
            throw fail("hash-header", "required with lb-policy ring_hash: the request header to hash")
        }

        let kind = value("health-check") ?? "grpc"
        guard kind == "grpc" || kind == "none" else {
            throw fail("health-check", "must be \"grpc\" or \"none\", not \"\(kind)\"")
        }
        let healthCheck = MembershipHealthCheckSettings(kind: kind, service: value("health-check-service") ?? "")

        var timeout = 0
        if let text = value("timeout") {
            guard let milliseconds = parseDuration(text) else {
                throw fail("timeout", "\"\(text)\" is not a duration such as 30s, 1.5s, 250ms, 1m30s or 0")
            }
            timeout = milliseconds
        }
        var breakers = MembershipCircuitBreakers()
        for (key, limit) in [("max-requests", \MembershipCircuitBreakers.maxRequests),
                             ("max-pending-requests", \MembershipCircuitBreakers.maxPendingRequests)] {
            guard let text = value(key) else { continue }
            guard let n = Int(text), (1...10_000_000).contains(n) else {
                throw fail(key, "\"\(text)\" is not a whole number from 1 to 10000000")
            }
            breakers[keyPath: limit] = n
        }
        var settings = ExposureSettings(grpcServices: services, servicePort: servicePort, lbPolicy: policy,
                                        hashHeader: hashHeader, healthCheck: healthCheck, timeoutMilliseconds: timeout)
        if breakers != MembershipCircuitBreakers() { settings.circuitBreakers = breakers }
        return settings
    }

    /// `package.Service`: dot-separated identifiers.
    static func isGRPCServiceName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            guard let first = part.first, first.isLetter || first == "_" else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
    }

    /// A Go-style duration (`30s`, `1.5s`, `250ms`, `1m30s`, `2h`) or a bare
    /// `0`, in milliseconds; `nil` when malformed.
    public static func parseDuration(_ text: String) -> Int? {
        if text == "0" { return 0 }
        let units: [(String, Double)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        guard total < Double(Int32.max) else { return nil }
        return Int(total.rounded())
    }

    private static func describe(_ ports: [ServicePort]) -> String {
        ports.isEmpty ? "none" : ports.map { p in p.name.map { "\($0)=\(p.port)" } ?? "\(p.port)" }.joined(separator: ", ")
    }
}

/// Health-check settings from `portico.dev/health-check` and `-service`.
public struct MembershipHealthCheckSettings: Sendable, Hashable {
    /// `grpc` or `none`.
    public var kind: String
    /// Service name sent in `grpc.health.v1.HealthCheckRequest`.
    public var service: String
}

/// A bad `portico.dev/` annotation.
public struct AnnotationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full annotation key.
    public var annotation: String
    /// What is wrong with it.
    public var problem: String

    public var description: String { "annotation \(annotation): \(problem)" }
}
