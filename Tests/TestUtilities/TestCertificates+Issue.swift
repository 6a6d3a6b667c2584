// More certificates from a test CA: server certificates for other names
// (SNI, rotation), client certificates with SANs (XFCC), and what a test
// checks them by (serial, SHA-256 fingerprint).

import Foundation

/// A certificate and its key, as PEM files, with its serial number.
public struct IssuedCertificate: Sendable {
    /// The certificate file (the leaf only).
    public let certificate: String
    /// The unencrypted P-256 private key file.
    public let privateKey: String
    /// The serial number, upper-case hex without separators, as
    /// `openssl x509 -serial` prints it.
    public let serial: String
}

extension TestCertificates {
    /// Issues a server certificate (extended key usage serverAuth) for
    /// `dnsNames` (wildcards allowed) and `uris`, signed by this CA, into a
    /// new directory. The serial is random, so every call gives a distinct
    /// certificate even for the same names.
    public func issueServerCertificate(commonName: String, dnsNames: [String], uris: [String] = []) throws
        -> IssuedCertificate
    {
        let sans = dnsNames.map { "DNS:\($0)" } + uris.map { "URI:\($0)" }
        return try issue(subject: "/CN=\(commonName)", extendedKeyUsage: "serverAuth", subjectAltNames: sans)
    }

    /// Issues a client certificate (extended key usage clientAuth) with the
    /// subject `subject` (openssl `-subj` form, e.g. `/O=Portico Tests/CN=alice`)
    /// and SANs `uris` and `dnsNames`.
    public func issueClientCertificate(subject: String, uris: [String] = [], dnsNames: [String] = []) throws
        -> IssuedCertificate
    {
        let sans = uris.map { "URI:\($0)" } + dnsNames.map { "DNS:\($0)" }
        return try issue(subject: subject, extendedKeyUsage: "clientAuth", subjectAltNames: sans)
    }

    /// The certificate's SHA-256 fingerprint (of its DER form) as lower-case
    /// hex, computed by openssl.
    public static func sha256Fingerprint(ofCertificate path: String) throws -> String {
        let output = try OpenSSL.output(["x509", "-in", path, "-noout", "-fingerprint", "-sha256"])
        // "sha256 Fingerprint=AB:CD:…"
        guard let equals = output.firstIndex(of: "=") else {
            throw TestUtilityError("unexpected openssl fingerprint output: \(output)")
        }
        return output[output.index(after: equals)...].filter { $0.isHexDigit }.lowercased()
    }

    private func issue(subject: String, extendedKeyUsage: String, subjectAltNames: [String]) throws -> IssuedCertificate {
        let directory = try TestDirectory.makeSubdirectory("issued")
        let certificate = directory.appendingPathComponent("tls.crt").path
        let key = directory.appendingPathComponent("tls.key").path
        let request = directory.appendingPathComponent("tls.csr").path
        let extensionsFile = directory.appendingPathComponent("tls.ext")
        var extensions = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=\(extendedKeyUsage)

            """
        if !subjectAltNames.isEmpty { extensions += "subjectAltName=\(subjectAltNames.joined(separator: ","))\n" }
        try extensions.write(to: extensionsFile, atomically: true, encoding: .utf8)
        // A random positive 63-bit serial; no shared serial file, so tests
        // can issue in parallel.
        let serial = String(format: "%016llX", UInt64.random(in: 1 << 60 ... (1 << 63) - 1))
        try OpenSSL.run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", key, "-out", request, "-subj", subject])
        try OpenSSL.run(["x509", "-req", "-in", request, "-CA", self.caCertificate, "-CAkey", self.caKey,
                         "-set_serial", "0x" + serial, "-out", certificate, "-days", "825", "-sha256",
                         "-extfile", extensionsFile.path])
        return IssuedCertificate(certificate: certificate, privateKey: key, serial: serial)
    }
}

extension OpenSSL {
    /// Runs openssl and returns its standard output.
    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestUtilityError("openssl \(arguments.joined(separator: " ")) failed")
        }
        return text
    }
}
