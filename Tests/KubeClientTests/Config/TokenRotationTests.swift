// A rotated service-account token is used by the very next request.
import Foundation
import KubeClient
import KubeSimServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct TokenRotationTests {
    /// Replaces a file the way the kubelet does: write aside, then rename over it.
    static func replace(_ path: String, with contents: String) throws {
        let temporary = path + ".tmp"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    @Test func replacedTokenFileIsReadForTheNextRequest() async throws {
        try await withSim(KubeSimConfiguration(tokens: ["token-one"])) { harness in
            let tokenPath = harness.directory.appendingPathComponent("token").path
            try Self.replace(tokenPath, with: "token-one\n")
            let client = KubeClient(config: KubeConfig(server: harness.sim.url, credentials: .tokenFile(tokenPath)))
            defer { Task { await client.shutdown() } }
            _ = try await client.list(Namespace.self)
            #expect(harness.sim.requests.last?.token == "token-one")

            harness.sim.setTokens(["token-two"])
            let refused = await #expect(throws: KubeAPIError.self) { _ = try await client.list(Namespace.self) }
            #expect(refused?.code == 401)
            #expect(refused?.reason == .unauthorized)

            try Self.replace(tokenPath, with: "token-two")
            _ = try await client.list(Namespace.self)
            #expect(harness.sim.requests.last?.token == "token-two")
        }
    }

    @Test func inClusterConfigOverTLSFollowsRotation() async throws {
        try await withSim(KubeSimConfiguration(tls: true, tokens: ["sa-1"])) { harness in
            let directory = harness.directory.appendingPathComponent("serviceaccount")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(try #require(harness.sim.pki).caCertificatePEM.utf8).write(to: directory.appendingPathComponent("ca.crt"))
            try Data("edge".utf8).write(to: directory.appendingPathComponent("namespace"))
            try Self.replace(directory.appendingPathComponent("token").path, with: "sa-1")
            let config = try KubeConfig.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(harness.sim.port)],
                serviceAccountDirectory: directory.path)
            let client = KubeClient(config: config)
            defer { Task { await client.shutdown() } }
            _ = try await client.get(Namespace.self, name: "default")
            harness.sim.setTokens(["sa-2"])
            try Self.replace(directory.appendingPathComponent("token").path, with: "sa-2")
            _ = try await client.get(Namespace.self, name: "default")
            #expect(harness.sim.requests.map(\.token).suffix(2) == ["sa-1", "sa-2"])
        }
    }
}
