// What one client connection may cost: rapid resets, control-frame floods,
// slow header blocks and idleness. Each downstream connection owns one
// guard; the worker's sweep asks it for overdue deadlines. Time comes from
// the worker's coarse clock, so no event reads the system clock.
import CNGHTTP2
import NIOCore

/// Counts events in consecutive windows of fixed length.
struct WindowCounter {
    private let window: Int64
    private var windowStart: NIODeadline
    private(set) var count = 0

    init(window: ConfigDuration, now: NIODeadline) {
        self.window = max(window.nanoseconds, 1)
        self.windowStart = now
    }

    /// Adds `n` events at `now`; returns the count in the current window.
    @inline(__always)
    mutating func add(_ n: Int = 1, now: NIODeadline) -> Int {
        if (now - windowStart).nanoseconds >= window {
            windowStart = now
            count = 0
        }
        count += n
        return count
    }
}

/// Why a connection was cut; each has a counter and a log line.
enum AbuseVerdict: Equatable {
    /// Streams reset by the client faster than the limit (CVE-2023-44487).
    case rapidReset
    /// SETTINGS, PING, PRIORITY, WINDOW_UPDATE or empty DATA faster than the limit.
    case controlFrameFlood
    /// No connection preface and SETTINGS in time.
    case prefaceTimeout
    /// A header block left unfinished past the request-headers timeout (slowloris).
    case headersTimeout
    /// Nothing in flight for the idle timeout.
    case idle

    var errorCode: UInt32 {
        switch self {
        case .rapidReset, .controlFrameFlood: return NGHTTP2_ENHANCE_YOUR_CALM.rawValue
        case .prefaceTimeout, .headersTimeout: return NGHTTP2_PROTOCOL_ERROR.rawValue
        case .idle: return NGHTTP2_NO_ERROR.rawValue
        }
    }

    var reason: String {
        switch self {
        case .rapidReset: return "too many streams reset by the client"
        case .controlFrameFlood: return "too many control frames"
        case .prefaceTimeout: return "no HTTP/2 preface and SETTINGS within the request-headers timeout"
        case .headersTimeout: return "request headers not finished within the request-headers timeout"
        case .idle: return "idle timeout"
        }
    }
}

struct ConnectionGuard {
    private let limits: ProxyLimits
    private let openedAt: NIODeadline
    private var prefaceDone = false
    /// When the header block being received began (nil: none in progress).
    private var headerBlockSince: NIODeadline?
    /// When the connection last had no stream in flight, or nil while it has some.
    private var idleSince: NIODeadline?
    private var resets: WindowCounter
    private var streamsInResetWindow: WindowCounter
    private var controlFrames: WindowCounter

    init(limits: ProxyLimits, now: NIODeadline) {
        self.limits = limits
        self.openedAt = now
        self.idleSince = now
        self.resets = WindowCounter(window: limits.http2.resetStreamWindow, now: now)
        self.streamsInResetWindow = WindowCounter(window: limits.http2.resetStreamWindow, now: now)
        self.controlFrames = WindowCounter(window: limits.http2.controlFrameWindow, now: now)
    }

    mutating func settingsReceived() { prefaceDone = true }

    /// A frame header arrived. A header block runs from its HEADERS frame to
    /// the end of its last CONTINUATION; any other frame means it is over.
    @inline(__always)
    mutating func frameBegan(_ type: UInt8, now: NIODeadline) {
        if type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_CONTINUATION.rawValue) {
            if headerBlockSince == nil { headerBlockSince = now }
        } else {
            headerBlockSince = nil
        }
    }

    mutating func headerBlockEnded() { headerBlockSince = nil }

    mutating func streamOpened(now: NIODeadline) {
        idleSince = nil
        _ = streamsInResetWindow.add(now: now)
    }

    mutating func allStreamsClosed(now: NIODeadline) { idleSince = now }

    /// The client reset a stream. Rapid reset is many resets that are most
    /// of the client's streams: a client cancelling a few RPCs is fine.
    mutating func streamReset(now: NIODeadline) -> AbuseVerdict? {
        let n = resets.add(now: now)
        let opened = streamsInResetWindow.add(0, now: now)
        if n > limits.http2.maxResetStreams && n * 2 > opened { return .rapidReset }
        return nil
    }

    mutating func controlFrame(now: NIODeadline) -> AbuseVerdict? {
        controlFrames.add(now: now) > limits.http2.maxControlFrames ? .controlFrameFlood : nil
    }

    /// A deadline that has passed, if any.
    func overdue(now: NIODeadline) -> AbuseVerdict? {
        let headers = limits.connections.requestHeadersTimeout.nanoseconds
        if !prefaceDone && (now - openedAt).nanoseconds >= headers { return .prefaceTimeout }
        if let since = headerBlockSince, (now - since).nanoseconds >= headers { return .headersTimeout }
        let idle = limits.connections.idleTimeout.nanoseconds
        if idle > 0, let since = idleSince, (now - since).nanoseconds >= idle { return .idle }
        return nil
    }
}

/// The limits every downstream connection applies, as configured.
struct ProxyLimits: Sendable {
    var http2 = HTTP2Config()
    var connections = ConnectionLimits()

    /// How often each worker looks for overdue connections: a quarter of
    /// the shortest timeout, between 20 ms and 1 s.
    var sweepInterval: TimeAmount {
        var shortest = connections.requestHeadersTimeout.nanoseconds
        if connections.idleTimeout.nanoseconds > 0 { shortest = min(shortest, connections.idleTimeout.nanoseconds) }
        return .nanoseconds(min(max(shortest / 4, 20_000_000), 1_000_000_000))
    }
}
