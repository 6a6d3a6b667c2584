// Starts portico-proxy as a real process with a generated config file.
import Foundation
import TestUtilities

struct ProxyCluster {
    var name: String
    var services: [String]
    var endpoints: [String]
    var extra: String = ""
}

struct ProxyUnderTest {
    let process: ManagedProcess
    let port: Int
    let adminPort: Int
    let healthPort: Int
    let certificates: TestCertificates?
    let configFile: URL

    var security: GRPCTestClient.Security {
        certificates.map { .tls($0) } ?? .plaintext
    }

    /// Writes a config and starts the proxy; waits until its port accepts.
    static func start(_ clusters: [ProxyCluster], tls: Bool = true, workers: Int = 2,
                      extraYAML: String = "", arguments: [String] = [],
                      launcher: [String] = []) async throws -> ProxyUnderTest {
        let ports = try PortAllocator.freePorts(3)
        let certificates = tls ? try TestCertificates.shared() : nil
        var yaml = "listen: 127.0.0.1:\(ports[0])\nadmin: 127.0.0.1:\(ports[1])\nhealth: 127.0.0.1:\(ports[2])\n"
        yaml += "workers: \(workers)\n"
        if let certificates {
            yaml += "tls:\n  certificate: \(certificates.serverCertificate)\n  privateKey: \(certificates.serverKey)\n"
        }
        yaml += extraYAML
        yaml += "clusters:\n"
        for c in clusters {
            yaml += "  - name: \(c.name)\n    grpcServices: [\(c.services.joined(separator: ", "))]\n"
            yaml += "    endpoints: [\(c.endpoints.joined(separator: ", "))]\n"
            yaml += c.extra
        }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("portico-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let process: ManagedProcess
        if let program = launcher.first {
            // A wrapper that execs the proxy (e.g. prlimit), so the pid is the proxy's.
            process = try ManagedProcess(executable: URL(fileURLWithPath: program),
                                         arguments: Array(launcher.dropFirst())
                                             + [try BuildProducts.executable("portico-proxy").path, "--config", file.path]
                                             + arguments)
        } else {
            process = try ManagedProcess.start("portico-proxy", arguments: ["--config", file.path] + arguments)
        }
        try await process.waitForPort(ports[0])
        // The admin port is bound right after the listener.
        try await process.waitForPort(ports[1])
        return ProxyUnderTest(process: process, port: ports[0], adminPort: ports[1], healthPort: ports[2],
                              certificates: certificates, configFile: file)
    }

    /// Peak and current resident memory of the proxy, in KiB. Throws rather
    /// than report zeros, which would make memory bounds pass vacuously.
    func memory() throws -> (rss: Int, peak: Int) {
        let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
        func field(_ name: String) throws -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count > 1, let kib = Int(parts[1]), kib > 0 { return kib }
            }
            throw TestUtilityError("no \(name) in /proc/\(process.pid)/status")
        }
        return (try field("VmRSS:"), try field("VmHWM:"))
    }

    func withClient<R: Sendable>(_ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        try await GRPCTestClient.withClient(port: port, security: security, body)
    }

    func stop() async {
        _ = await process.terminate()
        try? FileManager.default.removeItem(at: configFile)
    }
}

/// A plain HTTP GET or POST on loopback, for the admin and health ports.
func httpRequest(_ method: String = "GET", port: Int, path: String) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = method
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
}

import GRPCCore
import GRPCNIOTransportHTTP2
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
