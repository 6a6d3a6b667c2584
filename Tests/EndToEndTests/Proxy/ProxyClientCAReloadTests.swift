// The client CA is reloaded like the certificates, and so is a file
// rewritten in place (not swapped through a symlink as a Secret volume does).
import Foundation
import GRPCCore
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(2))) struct ProxyClientCAReloadTests {
    @Test func aClientCARewrittenInPlaceTakesEffectWithoutARestart() async throws {
        let ca = try TestCertificates.shared()
        let otherCA = try TestCertificates.generate(in: TestDirectory.makeSubdirectory("reload-other-ca"))
        let dir = try TestDirectory.makeSubdirectory("client-ca-in-place")
        let caFile = dir.appendingPathComponent("client-ca.crt")
        try Data(contentsOf: URL(fileURLWithPath: otherCA.caCertificate)).write(to: caFile)
        let yaml = """
            tls:
              certificate: \(ca.serverCertificate)
              privateKey: \(ca.serverKey)
              clientCA: \(caFile.path)
              clientAuth: require
              reloadInterval: 100ms

            """
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            let client = (ca.clientCertificate, ca.clientKey)
            // Signed by a CA the proxy does not trust yet.
            await #expect(throws: RPCError.self) {
                try await f.withClient(ca: ca.caCertificate, clientCertificate: client) { _ = try await $0.echo("early") }
            }
            // Rewritten in place: same path, same inode, new bytes.
            let handle = try FileHandle(forWritingTo: caFile)
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(contentsOf: URL(fileURLWithPath: ca.caCertificate)))
            try handle.close()
            try await f.eventually("the new client CA in force") {
                (try? await f.withClient(ca: ca.caCertificate, clientCertificate: client) {
                    try await $0.echo("trusted").content
                }) == "trusted"
            }
            // And the CA it replaced is no longer trusted.
            await #expect(throws: RPCError.self) {
                try await f.withClient(ca: ca.caCertificate,
                                       clientCertificate: (otherCA.clientCertificate, otherCA.clientKey)) {
                    _ = try await $0.echo("old")
                }
            }
            #expect(try await f.metric("portico_tls_certificate_reloads_total") >= 1)
        }
    }
}
