// HTTP/2 through libcurl: ALPN, and several requests multiplexed by the one driver thread.
// Runs when nghttpd (Debian: nghttp2-server) is installed; KubeSim itself speaks HTTP/1.1.
import Foundation
import KubeSimServer
import Testing
@testable import KubeClient

@Suite(.timeLimit(.minutes(1))) struct HTTP2TransportTests {
    static let nghttpd: String? = ["/usr/sbin/nghttpd", "/usr/bin/nghttpd"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TimedOut(what: "a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(.enabled(if: nghttpd != nil, "nghttpd is not installed"))
    func requestsGoOverHTTP2() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try GeneratedPKI.generate()
        try Data(pki.serverCertificatePEM.utf8).write(to: directory.appendingPathComponent("tls.crt"))
        try Data(pki.serverKeyPEM.utf8).write(to: directory.appendingPathComponent("tls.key"))
        try Data(#"{"kind":"APIVersions","versions":["v1"]}"#.utf8).write(to: directory.appendingPathComponent("api"))
        let port = try Self.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try #require(Self.nghttpd))
        server.arguments = ["--address=127.0.0.1", "--htdocs=\(directory.path)", String(port),
                            directory.appendingPathComponent("tls.key").path, directory.appendingPathComponent("tls.crt").path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // nghttpd does not stop on SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        let transport = HTTPTransport(settings: TransportSettings(certificateAuthority: .data(Data(pki.caCertificatePEM.utf8))))
        let request = HTTPRequest(method: "GET", url: "https://127.0.0.1:\(port)/api", headers: [], body: nil, timeout: .seconds(5))
        try await eventually("nghttpd to listen") { (try? await transport.perform(request)) != nil }
        let responses = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<5 { group.addTask { try await transport.perform(request) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(responses.allSatisfy { $0.head.status == 200 && $0.head.version == "HTTP/2" })
        #expect(responses.allSatisfy { String(decoding: $0.body, as: UTF8.self).contains("APIVersions") })
        await transport.shutdown()
    }
}
