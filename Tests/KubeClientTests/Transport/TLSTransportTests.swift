// HTTPS through libcurl: CA data, client certificates, insecure mode, and a wrong CA refused.
import Foundation
import KubeClient
import KubeSimServer
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct TLSTransportTests {
    @Test func kubeconfigWithCADataAndToken() async throws {
        try await withSim(KubeSimConfiguration(tls: true)) { harness in
            let path = harness.directory.appendingPathComponent("kubeconfig").path
            try harness.sim.kubeconfig().write(to: path)
            let config = try KubeConfig.load(path: path)
            #expect(config.server.hasPrefix("https://127.0.0.1:"))
            let client = KubeClient(config: config)
            defer { Task { await client.shutdown() } }
            let namespace = try await client.get(Namespace.self, name: "default")
            #expect(namespace.metadata.name == "default")
        }
    }

    @Test func clientCertificateWithoutToken() async throws {
        try await withSim(KubeSimConfiguration(tls: true, tokens: ["unused-token"])) { harness in
            let config = try KubeConfig.parse(yaml: harness.sim.kubeconfig(clientCertificate: true).yaml)
            #expect(config.clientCertificate != nil && config.credentials == .none)
            let client = KubeClient(config: config)
            defer { Task { await client.shutdown() } }
            _ = try await client.list(Namespace.self)
        }
    }

    @Test func wrongCAIsRefusedAndInsecureSkipsVerification() async throws {
        try await withSim(KubeSimConfiguration(tls: true)) { harness in
            let otherCA = try GeneratedPKI.generate().caCertificatePEM
            let wrong = KubeClient(config: KubeConfig(server: harness.sim.url, certificateAuthority: .data(Data(otherCA.utf8)),
                                                      credentials: .token("kubesim-token")))
            let error = await #expect(throws: TransportError.self) { _ = try await wrong.list(Namespace.self) }
            #expect(error?.kind == .curl(code: 60))
            await wrong.shutdown()

            let insecure = KubeClient(config: KubeConfig(server: harness.sim.url, insecureSkipTLSVerify: true,
                                                         credentials: .token("kubesim-token")))
            _ = try await insecure.list(Namespace.self)
            await insecure.shutdown()
        }
    }

    @Test func shutdownEndsOpenWatchesAndRefusesNewRequests() async throws {
        try await withSim { harness in
            let client = KubeClient(config: try SimHarness.config(for: harness.sim))
            let watch = try await client.watch(Namespace.self)
            let seen = Mutex(0)
            let reader = Task { () -> TransportError? in
                do {
                    for try await _ in watch { seen.withLock { $0 += 1 } }
                    return nil
                } catch {
                    return error as? TransportError
                }
            }
            // The four namespaces every cluster has arrive first.
            try await eventually("the initial events") { seen.withLock { $0 } == 4 }
            await client.shutdown()
            let ending = await reader.value
            #expect(ending?.kind == .shutdown)
            let error = await #expect(throws: TransportError.self) { _ = try await client.list(Namespace.self) }
            #expect(error?.kind == .shutdown)
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        let client = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1", connectTimeout: .seconds(2)))
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: TransportError.self) { _ = try await client.list(Namespace.self) }
        #expect(error?.kind == .curl(code: 7))
    }
}
