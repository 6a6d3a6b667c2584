// portico-controller: watches annotated Services and EndpointSlices and streams membership to portico-proxy.
import ArgumentParser
import ProcessSignals
import Controller
import Foundation
import KubeClient
import Logging

@main
struct PorticoController: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-controller",
        abstract: "Streams the endpoints of annotated Services to portico-proxy over a Unix socket.",
        discussion: "Annotate a Service with portico.dev/expose: \"true\" and portico.dev/grpc-services. Use --print to see what your annotations produce.")

    @Option(help: "Kubeconfig file; without it, the in-cluster configuration (or KUBECONFIG, ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "Kubeconfig context to use.")
    var context: String?

    @Option(help: "Watch only this namespace (default: all namespaces).")
    var namespace: String?

    @Option(help: "Unix socket the proxies connect to.")
    var socket = "/var/run/portico/membership.sock"

    @Option(help: "Address of /healthz, /readyz and /metrics.")
    var http = "127.0.0.1:8091"

    @Option(help: "Milliseconds a burst of changes may accumulate before one publish.")
    var coalesceMilliseconds = 5

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "List, translate, print the membership as JSON and exit.")
    var print = false

    mutating func validate() throws {
        guard parseAddress(http) != nil else { throw ValidationError("--http must be HOST:PORT, not \"\(http)\"") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
        guard coalesceMilliseconds >= 0 else { throw ValidationError("--coalesce-milliseconds must be >= 0") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portico.controller")
        let config = try kubeconfig.map { try KubeConfig.load(path: $0, context: context) } ?? KubeConfig.automatic()
        let client = KubeClient(config: config, logger: logger)

        if print {
            let translation = try await MembershipPrinter.translateOnce(client: client, namespace: namespace)
            for problem in translation.problems {
                FileHandle.standardError.write(Data("warning: skipping \(problem)\n".utf8))
            }
            FileHandle.standardOutput.write(Data((try MembershipPrinter.json(translation) + "\n").utf8))
            await client.shutdown()
            return
        }

        let (host, port) = parseAddress(http)!
        let options = ControllerOptions(namespace: namespace, socketPath: socket, httpHost: host, httpPort: port,
                                        coalescing: .milliseconds(coalesceMilliseconds))
        let runtime = ControllerRuntime(client: client, options: options, logger: logger)
        // Whichever ends first (a signal, or the runtime failing to start)
        // stops the other.
        let result = await withTaskGroup(of: Result<Void, any Error>?.self) { tasks in
            tasks.addTask {
                do { try await runtime.run(); return .success(()) } catch { return .failure(error) }
            }
            tasks.addTask { _ = await TerminationSignal.wait(); return nil }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            return first
        }
        logger.info("stopping")
        await client.shutdown()
        if case .failure(let error) = result { throw error }
    }
}

/// `HOST:PORT` (IPv6 hosts in brackets).
func parseAddress(_ text: String) -> (String, Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
          (0...65535).contains(port) else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host.isEmpty ? nil : (host, port)
}
