// The `http2`, `limits` and `upstream` sections: what a hostile or careless
// client, or a failing backend, may cost the proxy. Every key has a safe
// default (docs/security.md).
import Yams

extension ConfigReader {
    func http2(_ node: Node, into h: inout HTTP2Config) throws {
        let keys = ["maxConcurrentStreams", "initialStreamWindowSize", "connectionWindowSize", "maxHeaderListSize",
                    "maxContinuationFrames", "maxSettingsEntries", "maxOutboundControlFrames", "maxResetStreams",
                    "resetStreamWindow", "maxControlFrames", "controlFrameWindow"]
        for (k, w) in try mapping(node, "http2", allowed: keys) {
            let p = "http2.\(k)"
            switch k {
            case "maxConcurrentStreams": h.maxConcurrentStreams = UInt32(try int(w, p, 1...1_000_000))
            case "initialStreamWindowSize": h.initialStreamWindowSize = UInt32(try int(w, p, 65_535...(1 << 31) - 1))
            case "connectionWindowSize": h.connectionWindowSize = UInt32(try int(w, p, 65_535...(1 << 31) - 1))
            case "maxHeaderListSize": h.maxHeaderListSize = UInt32(try int(w, p, 4096...(16 << 20)))
            case "maxContinuationFrames": h.maxContinuationFrames = try int(w, p, 0...10_000)
            case "maxSettingsEntries": h.maxSettingsEntries = try int(w, p, 6...10_000)
            case "maxOutboundControlFrames": h.maxOutboundControlFrames = try int(w, p, 16...1_000_000)
            case "maxResetStreams": h.maxResetStreams = try int(w, p, 1...10_000_000)
            case "resetStreamWindow": h.resetStreamWindow = try positive(w, p)
            case "maxControlFrames": h.maxControlFrames = try int(w, p, 10...10_000_000)
            default: h.controlFrameWindow = try positive(w, p)
            }
        }
    }

    func limits(_ node: Node, into l: inout ConnectionLimits) throws {
        let keys = ["maxConnections", "maxConnectionsPerWorker", "tlsHandshakeTimeout", "requestHeadersTimeout",
                    "idleTimeout", "maxUpstreamConnectionsPerEndpoint", "bufferPerConnection", "bufferPerWorker",
                    "tcpKeepaliveIdle", "tcpKeepaliveInterval", "tcpUserTimeout", "clientKeepalive"]
        for (k, w) in try mapping(node, "limits", allowed: keys) {
            let p = "limits.\(k)"
            switch k {
            case "maxConnections": l.maxConnections = try int(w, p, 1...10_000_000)
            case "maxConnectionsPerWorker": l.maxConnectionsPerWorker = try int(w, p, 0...10_000_000)
            case "tlsHandshakeTimeout": l.tlsHandshakeTimeout = try positive(w, p)
            case "requestHeadersTimeout": l.requestHeadersTimeout = try positive(w, p)
            case "idleTimeout": l.idleTimeout = try duration(w, p)
            case "bufferPerConnection": l.bufferPerConnection = try int(w, p, 65_536...(1 << 40))
            case "bufferPerWorker": l.bufferPerWorker = try int(w, p, 65_536...(1 << 40))
            case "tcpKeepaliveIdle": l.tcpKeepaliveIdle = try seconds(w, p)
            case "tcpKeepaliveInterval": l.tcpKeepaliveInterval = try seconds(w, p)
            case "tcpUserTimeout": l.tcpUserTimeout = try duration(w, p)
            case "clientKeepalive": l.clientKeepalive = try keepalive(w, p, l.clientKeepalive)
            default: l.maxUpstreamConnectionsPerEndpoint = try int(w, p, 1...10_000)
            }
        }
        guard l.bufferPerWorker >= l.bufferPerConnection else {
            throw fail(node, "limits.bufferPerWorker",
                       "\(l.bufferPerWorker) is less than bufferPerConnection (\(l.bufferPerConnection))")
        }
    }

    /// Whole seconds, as TCP keepalive takes them (0: off).
    func seconds(_ node: Node, _ path: String) throws -> ConfigDuration {
        let d = try duration(node, path)
        guard d.nanoseconds % 1_000_000_000 == 0, d.nanoseconds <= 32_767 * 1_000_000_000 else {
            throw fail(node, path, "TCP keepalive takes whole seconds up to 32767s, got \(d)")
        }
        return d
    }

    func keepalive(_ node: Node, _ path: String, _ defaults: KeepaliveConfig) throws -> KeepaliveConfig {
        var k = defaults
        for (key, w) in try mapping(node, path, allowed: ["interval", "timeout"]) {
            if key == "interval" { k.interval = try duration(w, "\(path).interval") }
            if key == "timeout" { k.timeout = try positive(w, "\(path).timeout") }
        }
        return k
    }

    func upstream(_ node: Node, into u: inout UpstreamConfig) throws {
        for (k, w) in try mapping(node, "upstream", allowed: ["connectTimeout", "keepalive", "maxRequestsPerConnection"]) {
            let p = "upstream.\(k)"
            switch k {
            case "connectTimeout": u.connectTimeout = try positive(w, p)
            case "keepalive": u.keepalive = try keepalive(w, p, u.keepalive)
            default: u.maxRequestsPerConnection = try int(w, p, 1...(1 << 30))
            }
        }
    }

    func circuitBreakers(_ node: Node, _ path: String) throws -> CircuitBreakerConfig {
        var b = CircuitBreakerConfig()
        for (k, w) in try mapping(node, path, allowed: ["maxRequests", "maxPendingRequests"]) {
            if k == "maxRequests" { b.maxRequests = try int(w, "\(path).maxRequests", 1...10_000_000) }
            if k == "maxPendingRequests" { b.maxPendingRequests = try int(w, "\(path).maxPendingRequests", 1...10_000_000) }
        }
        return b
    }
}
