// Annotations and EndpointSlices in KubeSim decide what the proxy routes.
import Foundation
import GRPCCore
import Testing
import TestUtilities

/// Starts sample backends on 127.0.0.x addresses sharing one port, as pods do.
struct Pods {
    let port: Int
    private(set) var running: [String: SampleBackend] = [:]

    init() throws { port = try PortAllocator.freePort() }

    mutating func start(_ address: String, _ kind: SampleBackend.Kind = .echo) async throws {
        running[address] = try await SampleBackend.start(kind, hostname: "pod-\(address)", port: port,
                                                         extraArguments: ["--host", address])
    }

    mutating func stop(_ address: String) async {
        await running.removeValue(forKey: address)?.stop()
    }

    func stopAll() async {
        for backend in running.values { await backend.stop() }
    }
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct ControllerDiscoveryTests {
    typealias O = ControllerObjects

    @Test func annotateThenRemoveTheAnnotation() async throws {
        var pods = try Pods()
        try await pods.start("127.0.0.11")
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.11")]),
            // Something to publish, so the proxy becomes ready.
            O.service("other", annotations: O.exposed("api.Other"), port: pods.port),
        ])
        try await withCleanup {
            try await pipeline.withClient { client in
                guard case .failure(let error) = await pipeline.echoOutcome(client) else {
                    Issue.record("api.Echo answered before the Service was annotated"); return
                }
                #expect(error.code == .unimplemented)

                try await pipeline.patch("services", O.namespace, "echo", ["metadata": ["annotations": O.exposed("api.Echo")]])
                try await pipeline.eventually("api.Echo is routed") {
                    try await pipeline.echoOutcome(client).get() == "pod-127.0.0.11"
                }

                try await pipeline.patch("services", O.namespace, "echo",
                                         ["metadata": ["annotations": ["portico.dev/expose": NSNull(), "portico.dev/grpc-services": NSNull()]]])
                try await pipeline.eventually("api.Echo is UNIMPLEMENTED again") {
                    if case .failure(let error) = await pipeline.echoOutcome(client) { return error.code == .unimplemented }
                    return false
                }
            }
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }

    @Test func scaleOutAndIn() async throws {
        var pods = try Pods()
        for address in ["127.0.0.21", "127.0.0.22", "127.0.0.23"] { try await pods.start(address) }
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", annotations: O.exposed("api.Echo", ["portico.dev/health-check": "none"]), port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.21")]),
        ])
        try await withCleanup {
            try await pipeline.withClient { client in
                #expect(await pipeline.hostnames(client) == ["pod-127.0.0.21"])

                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port,
                                                 [O.Pod(address: "127.0.0.21"), O.Pod(address: "127.0.0.22")]))
                // A second slice of the same Service is merged in.
                try await pipeline.apply(O.slice("echo-2", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.23")]))
                try await pipeline.eventually("new RPCs reach all three pods") {
                    await pipeline.hostnames(client) == ["pod-127.0.0.21", "pod-127.0.0.22", "pod-127.0.0.23"]
                }

                try await pipeline.apply(O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.22")]))
                try await pipeline.apply(O.slice("echo-2", service: "echo", port: pods.port, []))
                try await pipeline.eventually("new RPCs reach only the remaining pod") {
                    await pipeline.hostnames(client) == ["pod-127.0.0.22"]
                }
            }
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }

    @Test func badAnnotationGetsAnEventAndOthersKeepWorking() async throws {
        var pods = try Pods()
        try await pods.start("127.0.0.31")
        try await pods.start("127.0.0.32", .reverse)
        let pipeline = try await ControllerPipeline.start(objects: [
            O.service("echo", annotations: O.exposed("api.Echo"), port: pods.port),
            O.slice("echo-1", service: "echo", port: pods.port, [O.Pod(address: "127.0.0.31")]),
            O.service("reverse", annotations: O.exposed("api.Reverse", ["portico.dev/timeout": "soon"]), port: pods.port),
            O.slice("reverse-1", service: "reverse", port: pods.port, [O.Pod(address: "127.0.0.32")]),
        ])
        try await withCleanup {
            try await pipeline.eventually("an Event names the bad annotation") {
                try await pipeline.events(namespace: O.namespace).contains { event in
                    (event["involvedObject"] as? [String: Any])?["name"] as? String == "reverse"
                        && event["type"] as? String == "Warning" && event["reason"] as? String == "InvalidAnnotation"
                        && (event["message"] as? String ?? "").contains("portico.dev/timeout")
                }
            }
            try await pipeline.withClient { client in
                #expect(try await pipeline.echoOutcome(client).get() == "pod-127.0.0.31")
                await #expect(throws: RPCError.self) { try await client.reverse("abc", options: ControllerPipeline.shortDeadline) }

                // Fixing the annotation brings the Service in.
                try await pipeline.patch("services", O.namespace, "reverse", ["metadata": ["annotations": ["portico.dev/timeout": "5s"]]])
                try await pipeline.eventually("api.Reverse is routed once fixed") {
                    try await client.reverse("abc", options: ControllerPipeline.shortDeadline).content == "cba"
                }
            }
            let metrics = try await httpRequest(port: pipeline.controllerHTTPPort, path: "/metrics")
            #expect(metrics.body.contains("portico_controller_kubernetes_events_total 1"))
            #expect(try await httpRequest(port: pipeline.controllerHTTPPort, path: "/readyz").status == 200)
        } cleanup: {
            await pipeline.stop()
            await pods.stopAll()
        }
    }
}
