// Endpoint conditions with their nil meanings, merging and port resolution.
import KubeClient
import Membership
import Testing
@testable import Controller

@Suite struct ServiceEndpointsTests {
    typealias T = TestObjects
    static let port = ServicePort(name: "grpc", port: 50051, targetPort: .int(9000))

    static let values: [Bool?] = [nil, true, false]
    static let combinations: [(Bool?, Bool?, Bool?)] = values.flatMap { r in values.flatMap { s in values.map { (r, s, $0) } } }

    /// All 27 combinations: ready nil → true; serving nil → ready; terminating nil → false.
    @Test(arguments: combinations.indices)
    func conditions(index: Int) {
        let (ready, serving, terminating) = Self.combinations[index]
        let slice = T.slice("s-1", service: "s", [T.endpoint("10.0.0.1", ready: ready, serving: serving, terminating: terminating)])
        let e = ServiceEndpoints.merge([slice], servicePort: Self.port)
        let expectedReady = ready ?? true
        #expect(e == [MembershipEndpoint(address: "10.0.0.1", port: 9000, ready: expectedReady,
                                         serving: serving ?? expectedReady, terminating: terminating ?? false,
                                         zone: "zone-a", node: "node-a")])
    }

    @Test func absentConditionsMeanReady() {
        let slice = T.slice("s-1", service: "s", [Endpoint(addresses: ["10.0.0.1"])])
        let e = ServiceEndpoints.merge([slice], servicePort: Self.port)
        #expect(e.map { [$0.ready, $0.serving, $0.terminating] } == [[true, true, false]])
    }

    @Test func slicesMergedAndDeduplicated() {
        let a = T.slice("s-a", service: "s", [T.endpoint("10.0.0.2", pod: "p2"), T.endpoint("10.0.0.1", ready: false, pod: "p1")])
        // The same pod seen in two slices while it moves: the better state wins.
        let b = T.slice("s-b", service: "s", [T.endpoint("10.0.0.1", pod: "p1"), T.endpoint("10.0.0.3")])
        let e = ServiceEndpoints.merge([b, a], servicePort: Self.port)
        #expect(e.map(\.address) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(e[0].ready && e[0].pod == "p1")
        #expect(e[1].pod == "p2")
    }

    @Test func onlyIPSlices() {
        let v4 = T.slice("v4", service: "s", [T.endpoint("10.0.0.1")])
        let v6 = T.slice("v6", service: "s", addressType: "IPv6", [T.endpoint("fd00::1")])
        let fqdn = T.slice("fqdn", service: "s", addressType: "FQDN", [T.endpoint("backend.example.com")])
        let none = T.slice("none", service: "s", addressType: nil, [T.endpoint("10.0.0.9")])
        // An address that does not match the slice's family is dropped.
        let wrong = T.slice("wrong", service: "s", [T.endpoint("fd00::2"), T.endpoint("not-an-ip")])
        let e = ServiceEndpoints.merge([v4, v6, fqdn, none, wrong], servicePort: Self.port)
        #expect(e.map(\.address) == ["10.0.0.1", "fd00::1"])
    }

    @Test func portResolution() {
        let named = T.slice("a", service: "s", ports: [EndpointPort(name: "metrics", port: 9090), EndpointPort(name: "grpc", port: 9000)], [])
        #expect(ServiceEndpoints.resolvePort(Self.port, in: named) == 9000)
        // Each slice carries its own number (e.g. during a port change).
        let other = T.slice("b", service: "s", ports: [EndpointPort(name: "grpc", port: 9001)], [])
        #expect(ServiceEndpoints.resolvePort(Self.port, in: other) == 9001)
        let missing = T.slice("c", service: "s", ports: [EndpointPort(name: "metrics", port: 9090)], [T.endpoint("10.0.0.1")])
        #expect(ServiceEndpoints.resolvePort(Self.port, in: missing) == nil)
        #expect(ServiceEndpoints.merge([missing], servicePort: Self.port).isEmpty)
        let unnamed = T.slice("d", service: "s", ports: [EndpointPort(name: "", port: 7000)], [])
        #expect(ServiceEndpoints.resolvePort(ServicePort(port: 80, targetPort: .int(7000)), in: unnamed) == 7000)
        let nilName = T.slice("e", service: "s", ports: [EndpointPort(name: nil, port: 7001)], [])
        #expect(ServiceEndpoints.resolvePort(ServicePort(port: 80), in: nilName) == 7001)
        let allPorts = T.slice("f", service: "s", ports: [EndpointPort(name: "grpc", port: nil)], [])
        #expect(ServiceEndpoints.resolvePort(Self.port, in: allPorts) == 9000)
        #expect(ServiceEndpoints.resolvePort(ServicePort(name: "grpc", port: 80, targetPort: .string("x")), in: allPorts) == nil)
        let noPorts = T.slice("g", service: "s", ports: nil, [])
        #expect(ServiceEndpoints.resolvePort(Self.port, in: noPorts) == nil)
    }

    @Test func podFromTargetRef() {
        var e = T.endpoint("10.0.0.1", pod: "p")
        var slice = T.slice("a", service: "s", [e])
        #expect(ServiceEndpoints.merge([slice], servicePort: Self.port).first?.pod == "p")
        e.targetRef?.kind = "Node"
        slice.endpoints = [e]
        #expect(ServiceEndpoints.merge([slice], servicePort: Self.port).first?.pod == nil)
    }
}
