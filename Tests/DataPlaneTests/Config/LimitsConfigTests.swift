import Testing
@testable import DataPlane

@Suite struct LimitsConfigTests {
    let base = "listen: 127.0.0.1:8443\nmembership: {socket: /tmp/m.sock}\n"

    @Test func defaultsAreTheDocumentedOnes() throws {
        let c = try ProxyConfig.parse(yaml: base)
        #expect(c.http2.maxConcurrentStreams == 100)
        #expect(c.http2.maxHeaderListSize == 64 << 10)
        #expect(c.http2.maxContinuationFrames == 8)
        #expect(c.http2.maxResetStreams == 200 && c.http2.resetStreamWindow == .seconds(10))
        #expect(c.http2.maxControlFrames == 10_000 && c.http2.controlFrameWindow == .seconds(10))
        #expect(c.limits.maxConnections == 10_000 && c.limits.maxConnectionsPerWorker == 0)
        #expect(c.limits.tlsHandshakeTimeout == .seconds(10))
        #expect(c.limits.requestHeadersTimeout == .seconds(10))
        #expect(c.limits.idleTimeout == .seconds(3600))
        #expect(c.limits.maxUpstreamConnectionsPerEndpoint == 16)
    }

    @Test func readsEveryKey() throws {
        let c = try ProxyConfig.parse(yaml: base + """
            http2:
              maxConcurrentStreams: 50
              maxContinuationFrames: 4
              maxSettingsEntries: 16
              maxOutboundControlFrames: 500
              maxResetStreams: 20
              resetStreamWindow: 1s
              maxControlFrames: 100
              controlFrameWindow: 2s
            limits:
              maxConnections: 10
              maxConnectionsPerWorker: 5
              tlsHandshakeTimeout: 2s
              requestHeadersTimeout: 3s
              idleTimeout: 0
              maxUpstreamConnectionsPerEndpoint: 2
            """)
        #expect(c.http2.maxConcurrentStreams == 50 && c.http2.maxContinuationFrames == 4)
        #expect(c.http2.maxSettingsEntries == 16 && c.http2.maxOutboundControlFrames == 500)
        #expect(c.http2.maxResetStreams == 20 && c.http2.resetStreamWindow == .seconds(1))
        #expect(c.http2.maxControlFrames == 100 && c.http2.controlFrameWindow == .seconds(2))
        #expect(c.limits.maxConnections == 10 && c.limits.maxConnectionsPerWorker == 5)
        #expect(c.limits.tlsHandshakeTimeout == .seconds(2) && c.limits.requestHeadersTimeout == .seconds(3))
        #expect(c.limits.idleTimeout.nanoseconds == 0 && c.limits.maxUpstreamConnectionsPerEndpoint == 2)
    }

    @Test func badValuesNameTheKeyAndLine() {
        let cases: [(String, String)] = [
            ("limits:\n  maxConnections: 0\n", "f:4: limits.maxConnections: 0 is out of range"),
            ("limits:\n  requestHeadersTimeout: 0\n", "f:4: limits.requestHeadersTimeout: must be greater than zero"),
            ("limits:\n  idleTimeout: soon\n", "f:4: limits.idleTimeout: expected a duration"),
            ("limits:\n  maxConections: 5\n", "f:4: limits.maxConections: unknown key"),
            ("http2:\n  maxResetStreams: -1\n", "f:4: http2.maxResetStreams: -1 is out of range"),
            ("http2:\n  resetStreamWindow: 1\n", "f:4: http2.resetStreamWindow: expected a duration"),
            // Found by fuzzing: a duration too large for 64-bit nanoseconds crashed the parser.
            ("drain: {delay: 1e300s}\n", "f:3: drain.delay: expected a duration"),
            ("limits:\n  idleTimeout: 300000000000h\n", "f:4: limits.idleTimeout: expected a duration"),
        ]
        for (yaml, expected) in cases {
            #expect(throws: ConfigError.self) { try ProxyConfig.parse(yaml: base + yaml, file: "f") }
            do {
                _ = try ProxyConfig.parse(yaml: base + yaml, file: "f")
            } catch {
                #expect("\(error)".hasPrefix(expected), "\(error)")
            }
        }
    }
}
