// A throwaway CA with server and client certificates, made with the openssl CLI.

import Foundation

/// PEM files of a test PKI: a CA, a server certificate for
/// `grpc.example.com` (also valid for `localhost` and `127.0.0.1`) and a
/// client certificate, both signed by the CA. Keys are unencrypted P-256.
///
/// ```swift
/// let certificates = try TestCertificates.shared()
/// // proxy:  tls: {certificate: certificates.serverCertificate, privateKey: certificates.serverKey}
/// // client: .tls(trustRootsFile: certificates.caCertificate), authority "grpc.example.com"
/// ```
public struct TestCertificates: Sendable {
    /// The name the server certificate is for, and the authority tests use.
    public static let serverName = "grpc.example.com"

    /// The directory holding the files.
    public let directory: URL
    /// The CA certificate (the trust root for clients and for mTLS servers).
    public let caCertificate: String
    /// The CA's private key.
    public let caKey: String
    /// The server certificate (SANs: grpc.example.com, localhost, IP 127.0.0.1).
    public let serverCertificate: String
    /// The server's private key.
    public let serverKey: String
    /// The client certificate (CN portico-test-client, extended key usage clientAuth).
    public let clientCertificate: String
    /// The client's private key.
    public let clientKey: String

    private static let sharedResult: Result<TestCertificates, TestUtilityError> = Result {
        try TestCertificates.generate(in: TestDirectory.makeSubdirectory("certificates"))
    }.mapError { $0 as? TestUtilityError ?? TestUtilityError("\($0)") }

    /// One set made on first use and shared by all tests of the run.
    public static func shared() throws -> TestCertificates {
        try self.sharedResult.get()
    }

    /// Makes a new set in `directory` (for tests that need distinct CAs).
    public static func generate(in directory: URL) throws -> TestCertificates {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let certificates = TestCertificates(
            directory: directory,
            caCertificate: path("ca.pem"), caKey: path("ca.key"),
            serverCertificate: path("server.pem"), serverKey: path("server.key"),
            clientCertificate: path("client.pem"), clientKey: path("client.key"))

        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try OpenSSL.run(["req", "-x509"] + ec + [
            "-keyout", certificates.caKey, "-out", certificates.caCertificate,
            "-days", "3650", "-subj", "/CN=Portico Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try certificates.issue(
            name: "server", subject: "/CN=\(serverName)", extensions: """
                basicConstraints=critical,CA:FALSE
                keyUsage=critical,digitalSignature,keyEncipherment
                extendedKeyUsage=serverAuth
                subjectAltName=DNS:\(serverName),DNS:localhost,IP:127.0.0.1
                """,
            certificate: certificates.serverCertificate, key: certificates.serverKey)
        try certificates.issue(
            name: "client", subject: "/CN=portico-test-client", extensions: """
                basicConstraints=critical,CA:FALSE
                keyUsage=critical,digitalSignature,keyEncipherment
                extendedKeyUsage=clientAuth
                """,
            certificate: certificates.clientCertificate, key: certificates.clientKey)
        return certificates
    }

    private func issue(name: String, subject: String, extensions: String, certificate: String, key: String) throws {
        let request = self.directory.appendingPathComponent("\(name).csr").path
        let extensionsFile = self.directory.appendingPathComponent("\(name).ext")
        try (extensions + "\n").write(to: extensionsFile, atomically: true, encoding: .utf8)
        try OpenSSL.run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", key, "-out", request, "-subj", subject])
        try OpenSSL.run(["x509", "-req", "-in", request, "-CA", self.caCertificate, "-CAkey", self.caKey,
                         "-CAcreateserial", "-out", certificate, "-days", "825", "-sha256",
                         "-extfile", extensionsFile.path])
    }
}

/// Runs the `openssl` command-line tool.
enum OpenSSL {
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw TestUtilityError("TestCertificates: cannot run openssl (is it installed?): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestUtilityError("TestCertificates: openssl \(arguments.joined(separator: " ")) failed:\n\(text)")
        }
    }
}
