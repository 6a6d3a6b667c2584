// A throwaway CA, server certificate and client certificate, generated in process for HTTPS.
import Crypto
import Foundation
import SwiftASN1
import X509

/// PEM material for one KubeSim run: a CA, a server certificate for
/// 127.0.0.1/localhost, and a client certificate kubectl can also use.
public struct GeneratedPKI: Sendable {
    /// The CA certificate (goes into `certificate-authority-data`).
    public var caCertificatePEM: String
    /// The server's certificate.
    public var serverCertificatePEM: String
    /// The server's private key.
    public var serverKeyPEM: String
    /// A client certificate signed by the CA (CN `kubesim-admin`, O `system:masters`).
    public var clientCertificatePEM: String
    /// Its private key.
    public var clientKeyPEM: String

    /// Generates fresh keys and certificates valid for a year.
    public static func generate(hosts: [String] = ["127.0.0.1", "localhost", "::1"]) throws -> GeneratedPKI {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("kubesim-ca") }
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let caKeyID = SubjectKeyIdentifier(hash: caPublicKey).keyIdentifier
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: caPublicKey,
            notValidBefore: now - 3600, notValidAfter: now + 365 * 86400,
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: caKeyID)
            },
            issuerPrivateKey: .init(caKey))

        func leaf(_ subject: DistinguishedName, _ key: P256.Signing.PrivateKey, names: SubjectAlternativeNames?, usage: [ExtendedKeyUsage.Usage]) throws -> Certificate {
            let publicKey = Certificate.PublicKey(key.publicKey)
            return try Certificate(
                version: .v3, serialNumber: .init(), publicKey: publicKey,
                notValidBefore: now - 3600, notValidAfter: now + 365 * 86400,
                issuer: caName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage(usage)
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyID)
                    if let names { names }
                },
                issuerPrivateKey: .init(caKey))
        }

        let serverKey = P256.Signing.PrivateKey()
        let names = SubjectAlternativeNames(hosts.map { host -> GeneralName in
            if let address = Self.ipAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: address[...])) }
            return .dnsName(host)
        })
        let server = try leaf(try DistinguishedName { CommonName("kubesim") }, serverKey, names: names, usage: [.serverAuth])
        let clientKey = P256.Signing.PrivateKey()
        let client = try leaf(try DistinguishedName { OrganizationName("system:masters"); CommonName("kubesim-admin") },
                              clientKey, names: nil, usage: [.clientAuth])
        return GeneratedPKI(
            caCertificatePEM: try ca.serializeAsPEM().pemString,
            serverCertificatePEM: try server.serializeAsPEM().pemString,
            serverKeyPEM: serverKey.pemRepresentation,
            clientCertificatePEM: try client.serializeAsPEM().pemString,
            clientKeyPEM: clientKey.pemRepresentation)
    }

    private static func ipAddressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
