// What the listener does with requests that are not gRPC, and the health
// and admin ports.
import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import Testing
import TestUtilities
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite(.serialized, .timeLimit(.minutes(3))) struct ProxyEdgeTests {
    @Test func http1OnTheListenerGetsACleanError() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false) { f in
            let reply = try rawExchange(port: f.proxy.port, send: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(reply.hasPrefix("HTTP/1.1 505"), "\(reply)")
            // The proxy still serves gRPC.
            try await f.withClient { client in
                let r = try await client.echo("after")
                #expect(r.content == "after")
            }
        }
    }

    @Test func nonGRPCHTTP2RequestsGetHTTPErrorsAndOtherStreamsAreUnharmed() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0, tls: false) { f in
            // nghttp (Debian nghttp2-client) as an independent HTTP/2 client.
            let out = try run("/usr/bin/nghttp", ["-v", "http://127.0.0.1:\(f.proxy.port)/index.html"])
            #expect(out.contains(":status: 415"), "\(out)")

            // On one connection: a gRPC call in flight (stream 1), then a
            // non-gRPC request (stream 3) while it runs. Stream 3 gets its
            // HTTP error; stream 1 still gets its whole answer.
            typealias Raw = RawHTTP2Client
            let raw = try await Raw.connect(port: f.proxy.port)
            defer { Task { await raw.close() } }
            var bytes = Raw.preface
            bytes += Raw.frame(RawFrame.headers, flags: RawFrame.endHeaders, stream: 1,
                               Raw.grpcRequestBlock(extra: [("x-delay-ms", "500")]))
            bytes += Raw.frame(RawFrame.data, flags: RawFrame.endStream, stream: 1, Raw.echoMessage("unharmed"))
            await raw.send(bytes)
            try await Task.sleep(for: .milliseconds(150))
            var block = Raw.hpackLiteral(":method", "GET") + Raw.hpackLiteral(":scheme", "http")
            block += Raw.hpackLiteral(":path", "/index.html") + Raw.hpackLiteral(":authority", "grpc.example.com")
            await raw.send(Raw.frame(RawFrame.headers, flags: RawFrame.endHeaders | RawFrame.endStream, stream: 3, block))
            let refused = await raw.waitForFrame(timeout: .seconds(3)) { $0.type == RawFrame.data && $0.streamID == 3 }
            #expect(refused.map { String(decoding: $0.payload, as: UTF8.self) }?.contains("only gRPC requests") == true,
                    "\(raw.frames.map { ($0.type, $0.streamID) })")
            // Stream 3 was answered while stream 1 was still in flight.
            #expect(!raw.frames.contains { $0.streamID == 1 && $0.type == RawFrame.data }, "stream 1 ended early")
            let answer = await raw.waitForFrame(timeout: .seconds(3)) { $0.type == RawFrame.data && $0.streamID == 1 }
            #expect(answer.map { String(decoding: $0.payload, as: UTF8.self) }?.contains("unharmed") == true)
            let trailers = await raw.waitForFrame(timeout: .seconds(3)) {
                $0.type == RawFrame.headers && $0.streamID == 1 && $0.flags & RawFrame.endStream != 0
            }
            #expect(trailers != nil, "stream 1 never ended")
            #expect(!raw.frames.contains { $0.type == RawFrame.rstStream || $0.type == RawFrame.goAway },
                    "\(raw.frames.map { ($0.type, $0.streamID) })")
            #expect(!raw.isClosed)
            let page = try PrometheusExposition(parsing: try await httpRequest(port: f.proxy.adminPort,
                                                                               path: "/stats/prometheus").body)
            #expect(page.value("portico_cluster_rpcs_finished_total", ["cluster": "echo-grpc", "grpc_status": "0"]) == 1)
        }
    }

    @Test func healthAndReadyPorts() async throws {
        try await ProxyFixture.with(echoCount: 1, reverseCount: 0) { f in
            var r = try await httpRequest(port: f.proxy.healthPort, path: "/healthz")
            #expect(r.status == 200)
            r = try await httpRequest(port: f.proxy.adminPort, path: "/ready")
            #expect(r.status == 200 && r.body == "LIVE\n")
            r = try await httpRequest("POST", port: f.proxy.adminPort, path: "/healthcheck/fail")
            #expect(r.status == 200)
            r = try await httpRequest(port: f.proxy.healthPort, path: "/healthz")
            #expect(r.status == 503)
            r = try await httpRequest("POST", port: f.proxy.adminPort, path: "/healthcheck/ok")
            r = try await httpRequest(port: f.proxy.healthPort, path: "/healthz")
            #expect(r.status == 200)
            try await f.withClient { _ = try await $0.echo("count me") }
            r = try await httpRequest(port: f.proxy.adminPort, path: "/clusters")
            let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
            let clusters = json["clusters"] as! [[String: Any]]
            #expect(clusters.map { $0["name"] as! String } == ["echo-grpc"])
            #expect(clusters[0]["total_rpcs"] as? Int == 1)
        }
    }

    @Test func sigtermDrainsAndExitsZero() async throws {
        let f = try await ProxyFixture.start(echoCount: 1, reverseCount: 0)
        defer { Task { await f.stop() } }
        try await f.withClient { client in
            let slow = Task { try await client.echo("in flight", metadata: ["x-delay-ms": "800"]) }
            // SIGTERM once the RPC is in flight at the backend; without that
            // the test would prove nothing about draining.
            let deadline = ContinuousClock.now + .seconds(5)
            var inFlight = false
            while !inFlight && ContinuousClock.now < deadline {
                let r = try await httpRequest(port: f.proxy.adminPort, path: "/clusters")
                inFlight = r.body.contains("\"active_rpcs\":1")
                if !inFlight { try await Task.sleep(for: .milliseconds(20)) }
            }
            try #require(inFlight, "the RPC never showed as active in /clusters")
            f.proxy.process.signal(SIGTERM)
            #expect(try await slow.value.content == "in flight")
        }
        #expect(try await f.proxy.process.waitForExit(timeout: .seconds(10)) == .exited(0))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ProxyConfigRefusalTests {
    @Test func badConfigIsRefusedNamingTheKey() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try "listen: 127.0.0.1:1\nclusters:\n  - name: a\n    grpcServices: [api.A]\n    lbPolicy: fastest\n    endpoints: []\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = try ManagedProcess.start("portico-proxy", arguments: ["--config", file.path])
        #expect(try await p.waitForExit() == .exited(2))
        #expect(p.output.contains("clusters[0].lbPolicy: unknown policy \"fastest\""), "\(p.output)")
        #expect(p.output.contains(":5:"))
    }

    @Test func unreadableCertificateIsRefused() async throws {
        let p = try ManagedProcess.start("portico-proxy", arguments: [
            "--listen", "127.0.0.1:1", "--tls-certificate", "/nonexistent.crt", "--tls-private-key", "/nonexistent.key",
            "--config", try writeTemp("clusters:\n  - name: a\n    grpcServices: [api.A]\n    endpoints: []\n"),
        ])
        #expect(try await p.waitForExit() != .exited(0))
        #expect(p.output.contains("tls.certificate"), "\(p.output)")
    }
}

func writeTemp(_ text: String) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
}

/// Sends raw bytes on a fresh TCP connection and reads until the peer closes.
func rawExchange(port: Int, send: [UInt8]) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw TestUtilityError("connect failed") }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    _ = send.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// Runs a command and returns its combined output.
func run(_ path: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
