// Runs sample services in one gRPC server process, with health and test hooks.

import GRPCCore
import GRPCNIOTransportHTTP2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plaintext (h2c) gRPC server for the sample services, as the proxy's
/// upstreams expect them.
///
/// It adds to the given services the `grpc.health.v1.Health` service and the
/// ``TestHookInterceptor`` (which only sets `hostname` unless
/// ``SampleServerConfiguration/testHooks`` is on), and handles signals:
///
/// - SIGUSR1: health becomes NOT_SERVING; SIGUSR2: SERVING again.
/// - SIGTERM, SIGINT: graceful shutdown (stop accepting, let in-flight RPCs
///   finish), after which ``run()`` returns.
///
/// Once listening it prints exactly one line to stdout,
/// `listening on <host>:<port>`, which tests wait for.
///
/// ```swift
/// try await SampleServer.echo(SampleServerConfiguration(port: 8081)).run()
/// ```
public struct SampleServer: Sendable {
    /// Where and as whom the server listens.
    public let configuration: SampleServerConfiguration
    /// The health status of this instance (changed by signals, or directly).
    public let health: HealthStatusBoard
    /// Set when the graceful shutdown begins.
    public let drain = DrainSignal()
    private let services: [any RegistrableRPCService]

    /// Creates a server for `services`; `healthServiceNames` are the names
    /// the health service answers for besides `""`.
    public init(
        configuration: SampleServerConfiguration,
        services: [any RegistrableRPCService],
        healthServiceNames: [String]
    ) {
        self.configuration = configuration
        self.services = services
        self.health = HealthStatusBoard(serviceNames: healthServiceNames, serving: configuration.startsServing)
    }

    /// The `echo-grpc` server: `api.Echo` and health.
    public static func echo(_ configuration: SampleServerConfiguration) -> SampleServer {
        SampleServer(configuration: configuration, services: [EchoService(testHooks: configuration.testHooks)],
                     healthServiceNames: [EchoService.serviceName])
    }

    /// The `reverse-grpc` server: `api.Reverse` and health.
    public static func reverse(_ configuration: SampleServerConfiguration) -> SampleServer {
        SampleServer(configuration: configuration, services: [ReverseService()],
                     healthServiceNames: [ReverseService.serviceName])
    }

    /// Serves until SIGTERM/SIGINT and the graceful shutdown that follows.
    /// Throws if the address can't be bound.
    public func run() async throws {
        let server = self.makeServer()
        let health = self.health
        let drain = self.drain
        let signals = ProcessSignals()
        defer { signals.cancel() }
        signals.on(SIGUSR1) { health.setServing(false) }
        signals.on(SIGUSR2) { health.setServing(true) }
        for shutdownSignal in [SIGTERM, SIGINT] {
            signals.on(shutdownSignal) {
                // Watch streams never end on their own; end them first so the
                // graceful shutdown only waits for real work.
                health.shutDown()
                drain.begin()
                server.beginGracefulShutdown()
            }
        }

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            let address = try await server.transport.listeningAddress
            let port = address.ipv4?.port ?? address.ipv6?.port ?? self.configuration.port
            StandardStreams.printLine("listening on \(self.configuration.host):\(port)")
        }
    }

    private func makeServer() -> GRPCServer<HTTP2ServerTransport.Posix> {
        let configuration = self.configuration
        let address: GRPCNIOTransportHTTP2.SocketAddress = configuration.host.contains(":")
            ? .ipv6(host: configuration.host, port: configuration.port)
            : .ipv4(host: configuration.host, port: configuration.port)
        let transport = HTTP2ServerTransport.Posix(
            address: address,
            transportSecurity: .plaintext,
            config: .defaults { config in
                config.http2.maxConcurrentStreams = configuration.maxConcurrentStreams
                config.rpc.maxRequestPayloadSize = configuration.maxRequestMessageBytes
            }
        )
        return GRPCServer(
            transport: transport,
            services: self.services + [HealthService(board: self.health)],
            interceptors: [TestHookInterceptor(hostname: configuration.hostname, drain: self.drain,
                                               enabled: configuration.testHooks)]
        )
    }
}
