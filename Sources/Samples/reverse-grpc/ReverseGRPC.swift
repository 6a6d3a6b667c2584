// reverse-grpc: the tutorial's Reverse service, with health and test hooks.

import ArgumentParser
import SampleServices

@main
struct ReverseGRPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse-grpc",
        abstract: "Serves api.Reverse and grpc.health.v1.Health over h2c.",
        discussion: """
            Prints "listening on <host>:<port>" once ready. SIGUSR1 makes health \
            NOT_SERVING, SIGUSR2 SERVING again; SIGTERM shuts down gracefully.
            """
    )

    @OptionGroup var options: SampleServerOptions

    func run() async throws {
        try await SampleServer.reverse(self.options.configuration(defaultPort: 8082)).run()
    }
}
