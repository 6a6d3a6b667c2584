// `portico-grpc-client reverse <text>`: api.Reverse/Reverse.

import ArgumentParser
import SampleServices

struct ReverseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse", abstract: "Call api.Reverse/Reverse.")

    @Argument(help: "The content to send.")
    var text: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let text = self.text
        try await self.connection.run(method: "api.Reverse/Reverse") { client, request in
            let reverse = Api_Reverse.Client(wrapping: client)
            return try await reverse.reverse(
                .with { $0.content = text }, metadata: request.metadata, options: request.options
            ) { response in
                CallOutcome(response) { "content=\($0.content.quoted)" }
            }
        }
    }
}
