// Certificate reload: files in a Secret-like volume are swapped while
// clients keep calling; new connections get the new certificate, no RPC
// fails, and bad files are refused while the old certificate stays.
import Foundation
import GRPCCore
import Synchronization
import Testing
import TestUtilities

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyTLSReloadTests {
    @Test func rotationUnderLoadFailsNoRPCAndBadPairsAreRefused() async throws {
        let ca = try TestCertificates.shared()
        let first = try ca.issueServerCertificate(commonName: TestCertificates.serverName,
                                                  dnsNames: [TestCertificates.serverName])
        let second = try ca.issueServerCertificate(commonName: TestCertificates.serverName,
                                                   dnsNames: [TestCertificates.serverName])
        let third = try ca.issueServerCertificate(commonName: TestCertificates.serverName,
                                                  dnsNames: [TestCertificates.serverName])
        let volume = try SecretVolume(copying: ["tls.crt": first.certificate, "tls.key": first.privateKey])
        let yaml = """
            tls:
              certificate: \(volume.path("tls.crt"))
              privateKey: \(volume.path("tls.key"))
              reloadInterval: 100ms
            limits:
              tlsHandshakeTimeout: 1s

            """
        // The handshake deadline (1 s) must end with the handshake: the
        // long-lived connection below outlives it.
        try await TLSProxyFixture.with(tlsYAML: yaml) { f in
            let caFile = ca.caCertificate
            #expect(try await f.servedSerial(ca: caFile) == first.serial)

            // Load: one long-lived connection calling back to back, and a
            // stream of fresh connections (each one handshakes anew).
            let tally = RPCTally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await f.withClient(ca: caFile) { client in
                        while !tally.stopped {
                            await tally.record { _ = try await client.echo("steady") }
                        }
                    }
                }
                group.addTask {
                    while !tally.stopped {
                        await tally.record { try await f.withClient(ca: caFile) { _ = try await $0.echo("fresh") } }
                    }
                }

                try await Task.sleep(for: .milliseconds(1200))
                try volume.update(copying: ["tls.crt": second.certificate, "tls.key": second.privateKey])
                try await f.eventually("the second certificate served") {
                    try await f.servedSerial(ca: caFile) == second.serial
                }
                try await Task.sleep(for: .milliseconds(300))
                try volume.update(copying: ["tls.crt": third.certificate, "tls.key": third.privateKey])
                try await f.eventually("the third certificate served") {
                    try await f.servedSerial(ca: caFile) == third.serial
                }
                try await Task.sleep(for: .milliseconds(300))
                tally.stop()
                try await group.waitForAll()
            }
            let (ok, failed) = tally.results
            #expect(failed.isEmpty, "RPCs failed during rotation: \(failed.prefix(5))")
            #expect(ok > 20, "too few RPCs to mean anything: \(ok)")
            #expect(try await f.metric("portico_tls_certificate_reloads_total") == 2)
            #expect(try await f.metric("portico_tls_certificate_reload_failures_total") == 0)

            // Bad pairs: each refused with a line naming the file, the third
            // certificate still served, RPCs still working.
            let other = try ca.issueServerCertificate(commonName: "other", dnsNames: ["other.example"])
            let garbage = Data("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n".utf8)
            let thirdKey = try Data(contentsOf: URL(fileURLWithPath: third.privateKey))
            let thirdCert = try Data(contentsOf: URL(fileURLWithPath: third.certificate))
            let otherKey = try Data(contentsOf: URL(fileURLWithPath: other.privateKey))
            let cases: [(files: [String: Data], file: String, problem: String)] = [
                (["tls.crt": thirdCert, "tls.key": otherKey], "tls.key", "does not match the certificate"),
                (["tls.crt": garbage, "tls.key": thirdKey], "tls.crt", "not a PEM certificate"),
                (["tls.crt": thirdCert], "tls.key", "cannot read"),
                (["tls.crt": thirdCert, "tls.key": Data("junk\n".utf8)], "tls.key", "not an unencrypted PEM private key"),
            ]
            for (i, bad) in cases.enumerated() {
                try volume.update(bad.files)
                try await f.eventually("bad pair \(i) refused") {
                    try await f.metric("portico_tls_certificate_reload_failures_total") == i + 1
                }
                let line = f.proxy.process.output.split(separator: "\n")
                    .last { $0.contains("reload refused") }.map(String.init) ?? ""
                let key = bad.file == "tls.key" ? "tls.privateKey" : "tls.certificate"
                #expect(line.contains("\(key) \(volume.path(bad.file)): \(bad.problem)"), "case \(i): \(line)")
                #expect(try await f.servedSerial(ca: caFile) == third.serial)
            }
            try await f.withClient(ca: caFile) { client in
                let reply = try await client.echo("still fine")
                #expect(reply.content == "still fine")
            }
            // A good pair again is taken.
            try volume.update(copying: ["tls.crt": second.certificate, "tls.key": second.privateKey])
            try await f.eventually("recovery") { try await f.servedSerial(ca: caFile) == second.serial }
            let dump = try await httpRequest(port: f.proxy.adminPort, path: "/config_dump").body
            #expect(dump.contains("\"serial\":\"\(second.serial)\""), "\(dump)")
            #expect(try await f.metric("portico_tls_certificate_reloads_total") == 3)
        }
    }
}

/// Counts RPC outcomes of load loops, and tells them when to stop.
final class RPCTally: Sendable {
    private let state = Mutex<(ok: Int, failed: [String], stopped: Bool)>((0, [], false))

    var stopped: Bool { state.withLock { $0.stopped } }
    var results: (ok: Int, failed: [String]) { state.withLock { ($0.ok, $0.failed) } }

    func stop() { state.withLock { $0.stopped = true } }

    func record(_ call: () async throws -> Void) async {
        do {
            try await call()
            state.withLock { $0.ok += 1 }
        } catch {
            state.withLock { $0.failed.append("\(error)") }
        }
    }
}
