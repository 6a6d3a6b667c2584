// portico-grpc-client against a sample backend, and TLS with the test CA.

import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices
import Testing
import TestUtilities

extension SampleServicesTests {
    @Test("portico-grpc-client prints one line per call, over plaintext")
    func grpcClientPlaintext() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-cli")
        let client = try ManagedProcess.start("portico-grpc-client", arguments: [
            "echo", "hello world", "--target", backend.address, "--plaintext", "--count", "2",
        ])
        let status = try await client.waitForExit()
        #expect(status == .exited(0), "\(client.report())")
        let lines = client.output.split(separator: "\n")
        #expect(lines == Array(repeating: #"api.Echo/Echo  content="hello world"  hostname=echo-cli"#, count: 2),
                "\(client.report())")

        let health = try ManagedProcess.start("portico-grpc-client", arguments: [
            "health", "api.Echo", "--target", backend.address, "--plaintext",
        ])
        #expect(try await health.waitForExit() == .exited(0), "\(health.report())")
        #expect(health.output == "grpc.health.v1.Health/Check  status=SERVING  hostname=echo-cli\n")
    }

    @Test("portico-grpc-client reports a failed call and exits non-zero")
    func grpcClientFailure() async throws {
        let backend = try await SampleBackend.start(.echo, hostname: "echo-cli-fail")
        let client = try ManagedProcess.start("portico-grpc-client", arguments: [
            "echo", "x", "--target", backend.address, "--plaintext",
            "-H", "x-fail-code: 14", "-H", "x-fail-message: backend is draining",
        ])
        #expect(try await client.waitForExit() == .exited(1), "\(client.report())")
        #expect(client.output.contains(
            #"api.Echo/Echo  error=UNAVAILABLE  message="backend is draining"  hostname=echo-cli-fail"#),
            "\(client.report())")
    }

    @Test("TLS: the test CA, authority grpc.example.com as SNI and :authority")
    func tlsWithTestCertificates() async throws {
        let certificates = try TestCertificates.shared()
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0),
            transportSecurity: .tls(
                certificateChain: [.file(path: certificates.serverCertificate, format: .pem)],
                privateKey: .file(path: certificates.serverKey, format: .pem)))
        try await withGRPCServer(
            transport: transport, services: [EchoService(testHooks: false)],
            interceptors: [TestHookInterceptor(hostname: "tls-in-process", enabled: false)]
        ) { server in
            let port = try #require(try await server.transport.listeningAddress.ipv4?.port)

            try await GRPCTestClient.withClient(port: port, security: .tls(certificates)) { client in
                let reply = try await client.echo("secure")
                #expect(reply.content == "secure")
                #expect(reply.hostname == "tls-in-process")
            }

            // Roots that didn't sign the server certificate must be refused.
            // (A wrong authority alone would pass here: NIOSSL also accepts
            // the certificate's IP SAN 127.0.0.1 for the peer address.)
            let strangers = try TestCertificates.generate(in: TestDirectory.makeSubdirectory("strangers"))
            try await GRPCTestClient.withClient(port: port, security: .tls(strangers)) { client in
                _ = await #expect(throws: RPCError.self) { try await client.echo("nope") }
            }

            let cli = try ManagedProcess.start("portico-grpc-client", arguments: [
                "echo", "via tls", "--target", "127.0.0.1:\(port)", "--tls",
                "--ca", certificates.caCertificate, "--authority", TestCertificates.serverName,
            ])
            #expect(try await cli.waitForExit() == .exited(0), "\(cli.report())")
            #expect(cli.output == #"api.Echo/Echo  content="via tls"  hostname=tls-in-process"# + "\n")
        }
    }
}
