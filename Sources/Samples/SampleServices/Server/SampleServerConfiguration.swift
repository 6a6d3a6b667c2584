// The settings of a sample server process.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a ``SampleServer`` listens and presents itself.
public struct SampleServerConfiguration: Sendable {
    /// The address to bind: `0.0.0.0` in a pod, `127.0.0.1` in tests.
    public var host: String
    /// The TCP port; 0 picks a free one (the `listening on` line tells which).
    public var port: Int
    /// The instance name sent in the `hostname` response header.
    public var hostname: String
    /// Whether health checks start out SERVING (`--not-serving` clears it).
    public var startsServing: Bool
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; generous so that a proxy's
    /// connection pool is exercised by load, not by this limit.
    public var maxConcurrentStreams: Int
    /// The largest request message accepted; tests send 4 MiB messages.
    public var maxRequestMessageBytes: Int
    /// Whether requests may steer the server through the test hooks of
    /// ``TestHookInterceptor`` (`--test-hooks`). Off by default: the sample
    /// images are exposed to the internet, where a hook such as `x-delay-ms`
    /// would let anyone hold the server's resources.
    public var testHooks: Bool

    /// Creates a configuration; `hostname` defaults to the machine's host name.
    public init(
        host: String = "0.0.0.0",
        port: Int,
        hostname: String? = nil,
        startsServing: Bool = true,
        maxConcurrentStreams: Int = 4096,
        maxRequestMessageBytes: Int = 16 * 1024 * 1024,
        testHooks: Bool = false
    ) {
        self.host = host
        self.port = port
        self.hostname = hostname ?? SystemHostname.current()
        self.startsServing = startsServing
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxRequestMessageBytes = maxRequestMessageBytes
        self.testHooks = testHooks
    }

    /// The port to use: the `--port` flag if given, else the `PORT`
    /// environment variable (as Kubernetes manifests set it), else `fallback`.
    public static func port(flag: Int?, fallback: Int) -> Int {
        if let flag { return flag }
        if let text = getenv("PORT"), let port = Int(String(cString: text)) { return port }
        return fallback
    }
}
