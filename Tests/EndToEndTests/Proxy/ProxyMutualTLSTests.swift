// Client-certificate authentication (require, optional) and the
// x-forwarded-client-cert header: set by the proxy from the verified
// certificate, never passed through from a client.
import Foundation
import GRPCCore
import SampleServices
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyMutualTLSTests {
    /// A client's own XFCC, which must never reach a backend.
    static let spoofed = "By=spiffe://evil;Hash=0000;Subject=\"CN=admin\""

    static var spoofingMetadata: Metadata {
        var md = reflectXFCC
        md.addString(spoofed, forKey: "x-forwarded-client-cert")
        return md
    }

    @Test func requireRefusesClientsWithoutAValidCertificate() async throws {
        let ca = try TestCertificates.shared()
        let otherCA = try TestCertificates.generate(in: TestDirectory.makeSubdirectory("other-ca"))
        let yaml = """
            tls:
              certificate: \(ca.serverCertificate)
              privateKey: \(ca.serverKey)
              clientCA: \(ca.caCertificate)
              clientAuth: require

            """
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            // No certificate: the handshake fails, so does the RPC.
            await #expect(throws: RPCError.self) {
                try await f.withClient(ca: ca.caCertificate) { _ = try await $0.echo("anonymous") }
            }
            // A certificate from a CA the proxy does not trust.
            await #expect(throws: RPCError.self) {
                try await f.withClient(ca: ca.caCertificate,
                                       clientCertificate: (otherCA.clientCertificate, otherCA.clientKey)) {
                    _ = try await $0.echo("stranger")
                }
            }
            #expect(try await f.metric("portico_tls_handshake_failures_total") >= 2)

            // A valid one: the RPC works, and the backend sees the proxy's
            // XFCC in place of the client's.
            let hash = try TestCertificates.sha256Fingerprint(ofCertificate: ca.clientCertificate)
            try await f.withClient(ca: ca.caCertificate, clientCertificate: (ca.clientCertificate, ca.clientKey)) {
                let reply = try await $0.echo("known", metadata: Self.spoofingMetadata)
                #expect(reply.content == "known")
                #expect(reply.forwardedClientCertificates == ["Hash=\(hash);Subject=\"CN=portico-test-client\""])
            }
        }
    }

    @Test func optionalLetsBothInAndIdentifiesOnlyCertificateHolders() async throws {
        let ca = try TestCertificates.shared()
        let otherCA = try TestCertificates.generate(in: TestDirectory.makeSubdirectory("other-ca"))
        // A server certificate with a URI SAN: the `By=` of the header.
        let server = try ca.issueServerCertificate(commonName: TestCertificates.serverName,
                                                   dnsNames: [TestCertificates.serverName],
                                                   uris: ["spiffe://portico.test/proxy"])
        let client = try ca.issueClientCertificate(subject: "/O=Portico Tests/CN=xfcc-client",
                                                   uris: ["spiffe://portico.test/ns/default/sa/client"],
                                                   dnsNames: ["client.portico.test", "alt.portico.test"])
        let yaml = """
            tls:
              certificate: \(server.certificate)
              privateKey: \(server.privateKey)
              clientCA: \(ca.caCertificate)
              clientAuth: optional

            """
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            // Without a certificate: served, with no identity (and the
            // client's spoofed header dropped).
            try await f.withClient(ca: ca.caCertificate) {
                let reply = try await $0.echo("anonymous", metadata: Self.spoofingMetadata)
                #expect(reply.content == "anonymous")
                #expect(reply.forwardedClientCertificates == [])
            }
            // With one: served, identified.
            let hash = try TestCertificates.sha256Fingerprint(ofCertificate: client.certificate)
            try await f.withClient(ca: ca.caCertificate, clientCertificate: (client.certificate, client.privateKey)) {
                let reply = try await $0.echo("known", metadata: Self.spoofingMetadata)
                #expect(reply.content == "known")
                #expect(reply.forwardedClientCertificates == [
                    "By=spiffe://portico.test/proxy;Hash=\(hash);Subject=\"CN=xfcc-client,O=Portico Tests\";"
                        + "URI=spiffe://portico.test/ns/default/sa/client;DNS=client.portico.test;DNS=alt.portico.test",
                ])
            }
            // A certificate that is presented must still verify.
            await #expect(throws: RPCError.self) {
                try await f.withClient(ca: ca.caCertificate,
                                       clientCertificate: (otherCA.clientCertificate, otherCA.clientKey)) {
                    _ = try await $0.echo("stranger")
                }
            }
        }
    }

    @Test func withoutMutualTLSAClientsHeaderIsStripped() async throws {
        let ca = try TestCertificates.shared()
        let yaml = "tls:\n  certificate: \(ca.serverCertificate)\n  privateKey: \(ca.serverKey)\n"
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            // Even a client certificate is not asked for, so none is vouched for.
            try await f.withClient(ca: ca.caCertificate, clientCertificate: (ca.clientCertificate, ca.clientKey)) {
                let reply = try await $0.echo("plain", metadata: Self.spoofingMetadata)
                #expect(reply.content == "plain")
                #expect(reply.forwardedClientCertificates == [])
                // The reflection hook itself works: another header comes back.
                var md = Self.spoofingMetadata
                md.addString("visible", forKey: "x-probe")
                md.replaceOrAddString("x-forwarded-client-cert,x-probe", forKey: SampleMetadataKey.reflectHeaders)
                let probe = try await $0.echo("probe", metadata: md)
                #expect(Array(probe.metadata[stringValues: "x-reflected-x-probe"]) == ["visible"])
                #expect(probe.forwardedClientCertificates == [])
            }
        }
    }
}
