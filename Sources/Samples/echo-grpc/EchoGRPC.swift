// echo-grpc: the tutorial's Echo service, with health and test hooks.

import ArgumentParser
import SampleServices

@main
struct EchoGRPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-grpc",
        abstract: "Serves api.Echo and grpc.health.v1.Health over h2c.",
        discussion: """
            Prints "listening on <host>:<port>" once ready. SIGUSR1 makes health \
            NOT_SERVING, SIGUSR2 SERVING again; SIGTERM shuts down gracefully.
            """
    )

    @OptionGroup var options: SampleServerOptions

    func run() async throws {
        try await SampleServer.echo(self.options.configuration(defaultPort: 8081)).run()
    }
}
