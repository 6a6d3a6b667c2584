// Which certificate the listener presents (SNI, wildcards, the default,
// reload of every pair) and what it accepts (TLS 1.2+, ECDHE + AEAD, ALPN h2).
import Foundation
import GRPCCore
import NIOSSL
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyTLSSelectionTests {
    @Test func sniPicksTheCertificateForTheNameAndTheFirstOtherwise() async throws {
        let ca = try TestCertificates.shared()
        let fallback = try ca.issueServerCertificate(commonName: TestCertificates.serverName,
                                                     dnsNames: [TestCertificates.serverName])
        let alpha = try ca.issueServerCertificate(commonName: "alpha", dnsNames: ["alpha.portico.test"])
        let beta = try ca.issueServerCertificate(commonName: "beta", dnsNames: ["*.beta.portico.test"])
        let betaVolume = try SecretVolume(copying: ["tls.crt": beta.certificate, "tls.key": beta.privateKey])
        let yaml = """
            tls:
              reloadInterval: 100ms
              certificates:
                - {certificate: \(fallback.certificate), privateKey: \(fallback.privateKey)}
                - {certificate: \(alpha.certificate), privateKey: \(alpha.privateKey)}
                - {certificate: \(betaVolume.path("tls.crt")), privateKey: \(betaVolume.path("tls.key"))}

            """
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            let caFile = ca.caCertificate
            #expect(try await f.servedSerial("alpha.portico.test", ca: caFile) == alpha.serial)
            #expect(try await f.servedSerial("ALPHA.portico.test", ca: caFile) == alpha.serial)
            #expect(try await f.servedSerial("api.beta.portico.test", ca: caFile) == beta.serial)
            // A wildcard covers one label only.
            #expect(try await f.servedSerial("a.b.beta.portico.test", ca: caFile) == fallback.serial)
            #expect(try await f.servedSerial("unknown.example", ca: caFile) == fallback.serial)
            #expect(try await f.servedSerial(nil, ca: caFile) == fallback.serial)

            // A gRPC client verifying the name gets through on each name.
            for name in ["alpha.portico.test", "api.beta.portico.test", TestCertificates.serverName] {
                try await f.withClient(ca: caFile, authority: name) { client in
                    let reply = try await client.echo(name)
                    #expect(reply.content == name)
                }
            }

            // Reload applies to every pair, not only the default.
            let beta2 = try ca.issueServerCertificate(commonName: "beta", dnsNames: ["*.beta.portico.test"])
            try betaVolume.update(copying: ["tls.crt": beta2.certificate, "tls.key": beta2.privateKey])
            try await f.eventually("the new beta certificate served") {
                try await f.servedSerial("api.beta.portico.test", ca: caFile) == beta2.serial
            }
            #expect(try await f.servedSerial("alpha.portico.test", ca: caFile) == alpha.serial)

            let dump = try await httpRequest(port: f.proxy.adminPort, path: "/config_dump").body
            let json = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as! [String: Any]
            let certificates = json["tls_certificates"] as! [[String: Any]]
            #expect(certificates.map { $0["serial"] as? String } == [fallback.serial, alpha.serial, beta2.serial])
            #expect(certificates[1]["dns_names"] as? [String] == ["alpha.portico.test"])
            #expect(certificates[0]["default"] as? Bool == true)
        }
    }

    @Test func onlyTLS12AndLaterWithECDHEAndAEADAndALPNh2() async throws {
        let ca = try TestCertificates.shared()
        let yaml = "tls:\n  certificate: \(ca.serverCertificate)\n  privateKey: \(ca.serverKey)\n"
        try await TLSProxyFixture.with(tlsYAML: yaml, backend: false) { f in
            func handshake(_ version: TLSVersion?, _ ciphers: String? = nil) async throws -> TLSHandshakeResult {
                try await TLSProbe.handshake(port: f.proxy.port, serverName: TestCertificates.serverName,
                                             trustRootsFile: ca.caCertificate, maximumVersion: version,
                                             cipherSuites: ciphers)
            }
            let modern = try await handshake(nil)
            #expect(modern.version == .tlsv13)
            #expect(modern.applicationProtocol == "h2")

            let tls12 = try await handshake(.tlsv12, "ECDHE-ECDSA-AES128-GCM-SHA256")
            #expect(tls12.version == .tlsv12)
            #expect(tls12.applicationProtocol == "h2")
            _ = try await handshake(.tlsv12, "ECDHE-ECDSA-CHACHA20-POLY1305")

            // CBC (no AEAD), and no TLS 1.1.
            await #expect(throws: (any Error).self) { _ = try await handshake(.tlsv12, "ECDHE-ECDSA-AES128-SHA") }
            await #expect(throws: (any Error).self) { _ = try await handshake(.tlsv11) }
            // Refused by the proxy, not given up by the client.
            #expect(try await f.metric("portico_tls_handshake_failures_total") == 2)
        }
    }
}
