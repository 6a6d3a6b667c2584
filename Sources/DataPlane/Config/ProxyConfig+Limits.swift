// The `http2` and `limits` sections: what a hostile or careless client may
// cost the proxy. Every key has a safe default (docs/security.md).
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
                    "idleTimeout", "maxUpstreamConnectionsPerEndpoint"]
        for (k, w) in try mapping(node, "limits", allowed: keys) {
            let p = "limits.\(k)"
            switch k {
            case "maxConnections": l.maxConnections = try int(w, p, 1...10_000_000)
            case "maxConnectionsPerWorker": l.maxConnectionsPerWorker = try int(w, p, 0...10_000_000)
            case "tlsHandshakeTimeout": l.tlsHandshakeTimeout = try positive(w, p)
            case "requestHeadersTimeout": l.requestHeadersTimeout = try positive(w, p)
            case "idleTimeout": l.idleTimeout = try duration(w, p)
            default: l.maxUpstreamConnectionsPerEndpoint = try int(w, p, 1...10_000)
            }
        }
    }
}
