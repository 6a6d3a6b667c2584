// Decides what every request gets: control API, auth, injected faults, discovery or resources.
import Foundation
import Synchronization

/// KubeSim's request logic, independent of the HTTP plumbing.
final class SimulatorCore: Sendable {
    /// What happens to a request before it is served.
    enum Admission: Sendable {
        /// Answer now.
        case respond(SimResponse)
        /// Wait (injected latency), then answer `response`, or serve normally when `nil`.
        case delay(milliseconds: Int, response: SimResponse?)
        /// Serve normally.
        case serve
    }

    let store: ObjectStore
    let log = RequestLog()
    let faults = FaultInjector()
    let tokens: Mutex<Set<String>>
    let serverAddress: Mutex<String>

    init(store: ObjectStore, tokens: Set<String>) {
        self.store = store
        self.tokens = Mutex(tokens)
        self.serverAddress = Mutex("127.0.0.1")
    }

    /// Records the request, checks authentication and applies armed faults.
    func admit(_ request: SimRequest) -> Admission {
        if request.path.hasPrefix("/kubesim/") || request.path == "/kubesim" {
            log.record(request, verb: "control", resource: nil)
            return .serve
        }
        let resourcePath = ResourcePath(request.path)
        let verb = resourcePath?.verb(method: request.method, query: request.query) ?? "discovery"
        log.record(request, verb: verb, resource: resourcePath?.resource)
        if ["/healthz", "/livez", "/readyz"].contains(request.path) { return .serve }
        if !isAuthenticated(request) { return .respond(.error(.unauthorized)) }
        guard let resourcePath, let rule = faults.take(verb: verb, resource: resourcePath.resource) else { return .serve }
        let failure = rule.status.map { SimResponse.error(FaultInjector.error(for: rule, status: $0)) }
        if let latency = rule.latencyMilliseconds, latency > 0 { return .delay(milliseconds: latency, response: failure) }
        return failure.map { .respond($0) } ?? .serve
    }

    /// Serves an admitted request.
    func serve(_ request: SimRequest) -> SimResponse {
        if request.path.hasPrefix("/kubesim") {
            return ControlAPI(core: self).handle(request)
        }
        if ["/healthz", "/livez", "/readyz"].contains(request.path) { return .text(status: 200, body: "ok") }
        if let resourcePath = ResourcePath(request.path) {
            return ResourceAPI(store: store).handle(request, path: resourcePath, verb: resourcePath.verb(method: request.method, query: request.query))
        }
        if request.method == "GET", let document = Discovery.respond(to: request.path, serverAddress: serverAddress.withLock { $0 }) {
            return .json(status: 200, body: document)
        }
        return .error(.pathNotFound(request.path))
    }

    private func isAuthenticated(_ request: SimRequest) -> Bool {
        if request.hasVerifiedClientCertificate { return true }
        let accepted = tokens.withLock { $0 }
        if accepted.isEmpty { return true }
        return request.bearerToken.map(accepted.contains) ?? false
    }
}
