// The endpoints of one Service, merged from all of its EndpointSlices.
import Foundation
import KubeClient
import Membership

/// Turns a Service's EndpointSlices into membership endpoints.
enum ServiceEndpoints {
    /// Endpoints of every IPv4/IPv6 slice, on the slice port that matches
    /// `servicePort`, de-duplicated by address and port, sorted.
    ///
    /// The same address can appear in two slices while the EndpointSlice
    /// controller moves it; the entry in the best state (ready, then serving)
    /// wins so that a move never makes a pod look unavailable.
    static func merge(_ slices: [EndpointSlice], servicePort: ServicePort) -> [MembershipEndpoint] {
        var byKey: [String: MembershipEndpoint] = [:]
        for slice in slices.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            guard let family = slice.addressType, family == "IPv4" || family == "IPv6" else { continue }
            guard let port = resolvePort(servicePort, in: slice) else { continue }
            for endpoint in slice.endpoints {
                for address in endpoint.addresses where isAddress(address, family: family) {
                    let candidate = MembershipEndpoint(
                        address: address, port: port,
                        ready: endpoint.isReady, serving: endpoint.isServing, terminating: endpoint.isTerminating,
                        zone: endpoint.zone, node: endpoint.nodeName,
                        pod: endpoint.targetRef.flatMap { $0.kind == "Pod" ? $0.name : nil })
                    let key = "\(address)|\(port)"
                    if let existing = byKey[key], rank(existing) >= rank(candidate) { continue }
                    byKey[key] = candidate
                }
            }
        }
        return byKey.values.sorted { ($0.address, $0.port) < ($1.address, $1.port) }
    }

    /// The pod port of a slice for a Service port: slice ports carry the
    /// Service port's name (empty when unnamed) and the resolved target port.
    static func resolvePort(_ servicePort: ServicePort, in slice: EndpointSlice) -> Int? {
        let name = servicePort.name ?? ""
        guard let match = (slice.ports ?? []).first(where: { ($0.name ?? "") == name }) else { return nil }
        if let number = match.port { return number }
        // `port: null` means "all ports": the target port, if it is a number.
        if case .int(let number) = servicePort.targetPort { return number }
        return servicePort.targetPort == nil ? servicePort.port : nil
    }

    private static func rank(_ e: MembershipEndpoint) -> Int {
        (e.ready ? 4 : 0) + (e.serving ? 2 : 0) + (e.terminating ? 0 : 1)
    }

    private static func isAddress(_ text: String, family: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(family == "IPv4" ? AF_INET : AF_INET6, text, &storage) == 1
    }
}
