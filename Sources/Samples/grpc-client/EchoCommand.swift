// `portico-grpc-client echo <text>`: api.Echo/Echo.

import ArgumentParser
import SampleServices

struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Call api.Echo/Echo.")

    @Argument(help: "The content to send.")
    var text: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let text = self.text
        try await self.connection.run(method: "api.Echo/Echo") { client, request in
            let echo = Api_Echo.Client(wrapping: client)
            return try await echo.echo(
                .with { $0.content = text }, metadata: request.metadata, options: request.options
            ) { response in
                CallOutcome(response) { "content=\($0.content.quoted)" }
            }
        }
    }
}
