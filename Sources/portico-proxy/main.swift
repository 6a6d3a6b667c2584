// portico-proxy: reads the config (file and flags), runs the data plane,
// and drains on SIGTERM.
import ArgumentParser
import ProcessSignals
import DataPlane
import Logging
#if canImport(Glibc)
import Glibc
#endif

@main
struct PorticoProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-proxy",
        abstract: "A TLS-terminating gRPC proxy with per-RPC load balancing.")

    @Option(name: .long, help: "YAML config file.")
    var config: String?
    @Option(help: "Downstream listener host:port (key: listen).")
    var listen: String?
    @Option(name: .customLong("tls-certificate"), help: "PEM certificate chain (key: tls.certificate).")
    var tlsCertificate: String?
    @Option(name: .customLong("tls-private-key"), help: "PEM private key (key: tls.privateKey).")
    var tlsPrivateKey: String?
    @Option(name: .customLong("tls-client-ca"), help: "PEM CA bundle for client certificates (key: tls.clientCA).")
    var tlsClientCA: String?
    @Option(name: .customLong("tls-client-auth"), help: "none, optional or require (key: tls.clientAuth).")
    var tlsClientAuth: String?
    @Option(name: .customLong("tls-reload-interval"), help: "Certificate file check interval, 0 = off (key: tls.reloadInterval).")
    var tlsReloadInterval: String?
    @Option(help: "Admin host:port (key: admin).")
    var admin: String?
    @Option(help: "Health host:port (key: health).")
    var health: String?
    @Option(help: "Event-loop threads (key: workers).")
    var workers: Int?
    @Option(name: .customLong("membership-socket"), help: "Controller socket (key: membership.socket).")
    var membershipSocket: String?
    @Flag(name: .customLong("access-log"), help: "JSON access log on stdout (key: accessLog).")
    var accessLog = false
    @Option(name: .customLong("max-connection-age"),
            help: "GOAWAY client connections after this long, ±10 %; 0 = never (key: maxConnectionAge).")
    var maxConnectionAge: String?
    @Option(name: .customLong("max-connection-age-grace"),
            help: "Then close them after this long even with RPCs in flight; 0 = wait (key: maxConnectionAgeGrace).")
    var maxConnectionAgeGrace: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "portico-proxy")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let settings: ProxyConfig
        do {
            settings = try ProxyCommandLine(
                file: config, listen: listen, tlsCertificate: tlsCertificate, tlsPrivateKey: tlsPrivateKey,
                admin: admin, health: health, workers: workers, membershipSocket: membershipSocket,
                accessLog: accessLog ? true : nil, tlsClientCA: tlsClientCA, tlsClientAuth: tlsClientAuth,
                tlsReloadInterval: tlsReloadInterval, maxConnectionAge: maxConnectionAge,
                maxConnectionAgeGrace: maxConnectionAgeGrace
            ).load()
        } catch {
            FileHandleStderr.write("portico-proxy: bad configuration: \(error)\n")
            throw ExitCode(2)
        }

        let proxy: Proxy
        do {
            proxy = try Proxy(config: settings, logger: logger)
            try await proxy.start()
        } catch {
            FileHandleStderr.write("portico-proxy: cannot start: \(error)\n")
            throw ExitCode(1)
        }

        // SIGTERM/SIGINT: drain and exit 0.
        let sig = await TerminationSignal.wait()
        logger.info("received signal \(sig): draining")
        await proxy.drainAndStop()
        logger.info("portico-proxy stopped")
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
