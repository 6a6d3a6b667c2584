// The proxy's configuration: the contract users and tests write (see DESIGN.md).
import NIOCore

/// A `host:port` pair as written in the config (`0.0.0.0:8443`, `[::1]:9000`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; IPv6 hosts are bracketed.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A duration in nanoseconds, written as `250ms`, `1s`, `1.5s`, `2m`, `1h` or `0`.
public struct ConfigDuration: Sendable, Hashable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ ms: Int64) -> ConfigDuration { .init(nanoseconds: ms * 1_000_000) }
    public static func seconds(_ s: Int64) -> ConfigDuration { .init(nanoseconds: s * 1_000_000_000) }

    public init?(parsing text: String) {
        if text == "0" { self.nanoseconds = 0; return }
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            // About 292 years in nanoseconds; more does not fit (found by fuzzing: "1e300s").
            let nanoseconds = value * scale
            guard nanoseconds < 9.2e18 else { return nil }
            self.nanoseconds = Int64(nanoseconds)
            return
        }
        return nil
    }

    public var description: String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        return "\(nanoseconds)ns"
    }
}

/// How a cluster spreads RPCs over its endpoints.
public enum LoadBalancingPolicy: String, Sendable, CaseIterable {
    case roundRobin = "round_robin"
    case leastRequest = "least_request"
    case random = "random"
    case ringHash = "ring_hash"
}

/// Active gRPC health checking of a cluster's endpoints.
public struct HealthCheckConfig: Sendable, Hashable {
    public var interval: ConfigDuration = .seconds(5)
    public var timeout: ConfigDuration = .seconds(1)
    public var unhealthyThreshold = 2
    public var healthyThreshold = 1
    /// The service name sent in `grpc.health.v1.HealthCheckRequest`.
    public var service = ""

    public init() {}
}

/// Passive health checking: endpoints that keep failing RPCs are ejected
/// for a while (Envoy's outlier detection, consecutive failures only).
public struct OutlierDetectionConfig: Sendable, Hashable {
    /// Connect errors, stream resets and UNAVAILABLE responses in a row that
    /// eject an endpoint; 0 turns passive ejection off.
    public var consecutiveFailures = 5
    /// The first ejection lasts this long, the n-th n times as long…
    public var baseEjectionTime: ConfigDuration = .seconds(30)
    /// …up to this.
    public var maxEjectionTime: ConfigDuration = .seconds(300)
    /// At most this share of the cluster's endpoints is ejected at a time.
    public var maxEjectionPercent = 50

    public init() {}

    public var enabled: Bool { consecutiveFailures > 0 }

    /// How long the `n`-th ejection (from 1) lasts.
    public func ejectionTime(forEjection n: Int) -> ConfigDuration {
        let cap = max(maxEjectionTime.nanoseconds, baseEjectionTime.nanoseconds)
        let (product, overflow) = baseEjectionTime.nanoseconds.multipliedReportingOverflow(by: Int64(max(n, 1)))
        return ConfigDuration(nanoseconds: overflow ? cap : min(product, cap))
    }

    /// How many of `endpoints` endpoints may be ejected at once: the share
    /// `maxEjectionPercent` allows, and at least one as in Envoy (but never
    /// the only one unless the percentage is 100).
    public func maxEjected(of endpoints: Int) -> Int {
        guard maxEjectionPercent > 0 else { return 0 }
        guard endpoints > 1 else { return maxEjectionPercent >= 100 ? endpoints : 0 }
        return max(endpoints * maxEjectionPercent / 100, 1)
    }
}

/// Limits on what one cluster may have outstanding (Envoy's circuit
/// breakers); past them an RPC fails at once with UNAVAILABLE naming the
/// limit, instead of queueing behind a backend that cannot keep up.
public struct CircuitBreakerConfig: Sendable, Hashable {
    /// RPCs in flight to the cluster.
    public var maxRequests = 1024
    /// RPCs waiting for an upstream connection or a free stream.
    public var maxPendingRequests = 1024

    public init() {}
}

/// One upstream endpoint and the state the controller reports for it.
public struct EndpointConfig: Sendable, Hashable {
    public var address: HostPort
    public var ready = true
    public var serving = true
    public var terminating = false

    public init(address: HostPort, ready: Bool = true, serving: Bool = true, terminating: Bool = false) {
        self.address = address
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }
}

/// A named group of endpoints that serves one or more gRPC services.
public struct ClusterConfig: Sendable, Hashable {
    public var name: String
    public var grpcServices: [String]
    public var lbPolicy: LoadBalancingPolicy = .roundRobin
    /// Request header whose value `ring_hash` hashes.
    public var hashHeader: String?
    public var healthCheck: HealthCheckConfig?
    /// On by default, as in Envoy.
    public var outlierDetection = OutlierDetectionConfig()
    public var endpoints: [EndpointConfig]
    /// Route timeout for every RPC of the cluster (nil: none); the client's
    /// `grpc-timeout` applies when shorter.
    public var timeout: ConfigDuration?
    public var connectTimeout: ConfigDuration?
    public var circuitBreakers = CircuitBreakerConfig()

    public init(name: String, grpcServices: [String], endpoints: [EndpointConfig]) {
        self.name = name
        self.grpcServices = grpcServices
        self.endpoints = endpoints
    }
}

/// TLS termination on the listener (see docs/tls.md).
public struct TLSConfig: Sendable, Hashable {
    /// The certificate/key pairs; the first is the default for clients that
    /// send no SNI name or one no certificate covers. Never empty.
    public var certificates: [TLSCertificateFiles]
    /// PEM bundle of the CAs that client certificates must chain to.
    public var clientCA: String?
    public var clientAuth: ClientAuthMode = .off
    /// How often the files are checked for changes; 0 turns reloading off.
    public var reloadInterval: ConfigDuration = .seconds(5)
    /// Written as `tls.certificates` (else `tls.certificate`/`tls.privateKey`):
    /// errors name the keys the way the file has them.
    public var listsCertificates = false

    /// The single-pair form (`tls.certificate`, `tls.privateKey`).
    public init(certificate: String, privateKey: String) {
        self.certificates = [TLSCertificateFiles(certificate: certificate, privateKey: privateKey)]
    }

    public init(certificates: [TLSCertificateFiles]) {
        precondition(!certificates.isEmpty, "TLSConfig needs at least one certificate")
        self.certificates = certificates
    }

    /// The default pair's certificate file.
    public var certificate: String { certificates[0].certificate }
    /// The default pair's private key file.
    public var privateKey: String { certificates[0].privateKey }
}

/// One certificate chain and its private key, as PEM files.
public struct TLSCertificateFiles: Sendable, Hashable {
    public var certificate: String
    public var privateKey: String

    public init(certificate: String, privateKey: String) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

/// Whether clients must present a certificate signed by `tls.clientCA`.
public enum ClientAuthMode: String, Sendable, CaseIterable {
    /// No certificate is asked for (`none` in the config).
    case off = "none"
    /// A certificate is asked for and verified when given; clients without one are let in.
    case optional
    /// A verified certificate is required; the handshake fails without one.
    case require
}

/// HTTP/2 limits of the downstream listener (see docs/security.md).
public struct HTTP2Config: Sendable, Hashable {
    public var maxConcurrentStreams: UInt32 = 100
    /// Per-stream receive window: the most request bytes buffered per stream.
    public var initialStreamWindowSize: UInt32 = 1 << 20
    /// Per-connection receive window: the most request bytes buffered per connection.
    public var connectionWindowSize: UInt32 = 8 << 20
    /// Decoded request header list (names + values + 32 per field), as HTTP/2 counts it.
    public var maxHeaderListSize: UInt32 = 64 << 10
    /// CONTINUATION frames allowed after one HEADERS frame.
    public var maxContinuationFrames = 8
    /// Entries allowed in one SETTINGS frame.
    public var maxSettingsEntries = 32
    /// Control frames (PING and SETTINGS acknowledgements, RST_STREAM) queued
    /// for a peer that is not reading them.
    public var maxOutboundControlFrames = 1000
    /// Streams the client may reset within `resetStreamWindow` (rapid reset)
    /// once they are most of its streams.
    public var maxResetStreams = 200
    public var resetStreamWindow: ConfigDuration = .seconds(10)
    /// SETTINGS, PING, PRIORITY, WINDOW_UPDATE and empty DATA frames allowed
    /// within `controlFrameWindow`.
    public var maxControlFrames = 10_000
    public var controlFrameWindow: ConfigDuration = .seconds(10)

    public init() {}
}

/// Connection-level resource limits of the downstream listener (see docs/security.md).
public struct ConnectionLimits: Sendable, Hashable {
    /// Open client connections, all workers together; more are closed at accept.
    public var maxConnections = 10_000
    /// Open client connections per worker (0: no per-worker limit).
    public var maxConnectionsPerWorker = 0
    /// From accept to a completed TLS handshake.
    public var tlsHandshakeTimeout: ConfigDuration = .seconds(10)
    /// From accept to the client's preface and SETTINGS, and from the first
    /// byte of a request's headers to their end (slowloris).
    public var requestHeadersTimeout: ConfigDuration = .seconds(10)
    /// A connection with no RPC in flight for this long is closed with GOAWAY (0: never).
    public var idleTimeout: ConfigDuration = .seconds(3600)
    /// Connections each worker opens to one endpoint; past it, RPCs share the
    /// least loaded connection and wait there for a free stream.
    public var maxUpstreamConnectionsPerEndpoint = 16
    /// Request and response bytes the proxy holds for one client connection
    /// (received, not yet taken by the other side); past it the client's
    /// streams holding the most are reset.
    public var bufferPerConnection = 4 << 20
    /// The same for all connections of one worker together.
    public var bufferPerWorker = 16 << 20
    /// TCP keepalive on client and backend sockets: first probe after this
    /// much silence, then every `tcpKeepaliveInterval`, 3 probes (0: off).
    public var tcpKeepaliveIdle: ConfigDuration = .seconds(15)
    public var tcpKeepaliveInterval: ConfigDuration = .seconds(5)
    /// TCP_USER_TIMEOUT on client and backend sockets: a connection whose
    /// sent data stays unacknowledged this long is dropped (0: the kernel's).
    public var tcpUserTimeout: ConfigDuration = .seconds(30)
    /// HTTP/2 PING to idle client connections (`interval` 0: off).
    public var clientKeepalive = KeepaliveConfig(interval: .seconds(0), timeout: .seconds(20))

    public init() {}
}

/// HTTP/2 PING keepalive: a PING after `interval` without a frame from the
/// peer; no acknowledgement within `timeout` closes the connection.
public struct KeepaliveConfig: Sendable, Hashable {
    public var interval: ConfigDuration
    public var timeout: ConfigDuration

    public init(interval: ConfigDuration, timeout: ConfigDuration) {
        self.interval = interval
        self.timeout = timeout
    }

    public var enabled: Bool { interval.nanoseconds > 0 }
}

/// How the proxy treats its connections to backends (`upstream:`).
public struct UpstreamConfig: Sendable, Hashable {
    public var connectTimeout: ConfigDuration = .milliseconds(500)
    /// PING keepalive to backends: detects one that stopped answering
    /// without closing (a frozen process, a vanished node).
    public var keepalive = KeepaliveConfig(interval: .seconds(10), timeout: .seconds(5))
    /// Streams opened on one connection before it is rotated: it takes no
    /// more, finishes those in flight and closes; a new one takes over. Far
    /// below HTTP/2's 2^30 stream IDs.
    public var maxRequestsPerConnection = 1_000_000

    public init() {}
}

/// Everything `portico-proxy --config FILE` reads.
public struct ProxyConfig: Sendable {
    public var listen = HostPort(host: "0.0.0.0", port: 8443)
    public var tls: TLSConfig?
    public var admin = HostPort(host: "127.0.0.1", port: 8090)
    public var health = HostPort(host: "0.0.0.0", port: 8080)
    public var workers: Int = System.coreCount
    public var membershipSocket: String?
    public var clusters: [ClusterConfig] = []
    public var http2 = HTTP2Config()
    public var limits = ConnectionLimits()
    public var upstream = UpstreamConfig()
    public var connectTimeout: ConfigDuration {
        get { upstream.connectTimeout }
        set { upstream.connectTimeout = newValue }
    }
    public var drainDelay: ConfigDuration = .seconds(0)
    public var drainTimeout: ConfigDuration = .seconds(30)
    public var accessLog = false
    /// Client connections get GOAWAY after this long (±10 % so that they do
    /// not all reconnect at once), so long-lived clients spread over new
    /// instances; 0 (the default) keeps connections for as long as clients do.
    public var maxConnectionAge: ConfigDuration = .seconds(0)
    /// After that GOAWAY, RPCs in flight get this long before the connection
    /// is closed; 0 waits for them however long they take.
    public var maxConnectionAgeGrace: ConfigDuration = .seconds(0)

    public init() {}

}

