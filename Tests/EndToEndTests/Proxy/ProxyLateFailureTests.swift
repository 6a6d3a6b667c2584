// A backend that fails after its response started (an h2 backend from
// Tests/Clients, a grpcio client): between two messages the client gets the
// proxy's status in trailers; inside a message it gets the stream reset, never
// half a message followed by trailers.
import Foundation
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(2))) struct ProxyLateFailureTests {
    static func call(midMessage: Bool) async throws -> ClientResult {
        let backend = try PythonClients.start("cutting_backend.py", midMessage ? ["--mid-message"] : [])
        let line = try await backend.waitForOutput(containing: "listening on")
        let address = String(line.split(separator: " ").last ?? "")
        let proxy = try await ProxyUnderTest.start([ProxyCluster(name: "cut", services: ["api.Echo"],
                                                                 endpoints: [address])], workers: 1)
        defer { Task { await proxy.stop(); _ = await backend.terminate(grace: .seconds(2)) } }
        return try await PythonClients.run("stream_client.py", [
            "--port", "\(proxy.port)", "--ca", proxy.certificates!.caCertificate,
        ], timeout: .seconds(30))
    }

    @Test func failureBetweenMessagesEndsWithTheProxysStatus() async throws {
        let r = try await Self.call(midMessage: false)
        #expect(r.fields["messages"] as? [String] == ["abc"], "\(r)")
        #expect(r.fields["code"] as? String == "INTERNAL", "\(r)")
        #expect((r.fields["details"] as? String ?? "").contains("reset the stream (HTTP/2 error 2)"), "\(r)")
    }

    @Test func failureInsideAMessageResetsTheStream() async throws {
        let r = try await Self.call(midMessage: true)
        #expect(r.fields["messages"] as? [String] == ["abc"], "\(r)")
        // The client's own words for a reset stream: no trailers came after
        // the half message.
        #expect((r.fields["details"] as? String ?? "").contains("RST_STREAM"), "\(r)")
    }
}
