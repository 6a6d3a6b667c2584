// The command-line flags shared by echo-grpc and reverse-grpc.

import ArgumentParser

/// `--host`, `--port`, `--hostname`, `--not-serving` and `--test-hooks`, for the sample
/// executables (`@OptionGroup var options: SampleServerOptions`).
public struct SampleServerOptions: ParsableArguments, Sendable {
    /// The address to bind.
    @Option(help: "Address to listen on.")
    public var host: String = "0.0.0.0"

    /// The port; falls back to `$PORT`, then the executable's default.
    @Option(help: "Port to listen on (default: $PORT, else the service's port; 0: any free port).")
    public var port: Int?

    /// The instance name sent in the `hostname` response header.
    @Option(help: "Instance name sent in the 'hostname' response header (default: the host name).")
    public var hostname: String?

    /// Start with health NOT_SERVING.
    @Flag(help: "Start with health checks answering NOT_SERVING (SIGUSR2 makes it SERVING).")
    public var notServing: Bool = false

    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS the server advertises.
    @Option(help: "HTTP/2 max concurrent streams per connection.")
    public var maxConcurrentStreams: Int = 4096

    /// Let request metadata steer the server (tests only).
    @Flag(help: """
        Obey the test hooks in request metadata (x-delay-ms, x-fail-code, x-repeat, ...). \
        For tests only: never on a server that untrusted clients can reach.
        """)
    public var testHooks: Bool = false

    /// Creates the options with their defaults (ArgumentParser needs this).
    public init() {}

    /// The server configuration these flags describe.
    public func configuration(defaultPort: Int) -> SampleServerConfiguration {
        SampleServerConfiguration(
            host: self.host,
            port: SampleServerConfiguration.port(flag: self.port, fallback: defaultPort),
            hostname: self.hostname,
            startsServing: !self.notServing,
            maxConcurrentStreams: self.maxConcurrentStreams,
            testHooks: self.testHooks
        )
    }
}
