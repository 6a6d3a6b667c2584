// `portico-grpc-client health [service]`: grpc.health.v1.Health/Check.

import ArgumentParser
import SampleServices

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Call grpc.health.v1.Health/Check.")

    @Argument(help: "The service to ask about; empty for the server as a whole.")
    var service: String = ""

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let service = self.service
        try await self.connection.run(method: "grpc.health.v1.Health/Check") { client, request in
            let health = Grpc_Health_V1_Health.Client(wrapping: client)
            return try await health.check(
                .with { $0.service = service }, metadata: request.metadata, options: request.options
            ) { response in
                CallOutcome(response) { "status=\($0.status.statusName)" }
            }
        }
    }
}

extension Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    /// The name in the proto, e.g. `NOT_SERVING`.
    fileprivate var statusName: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .serving: "SERVING"
        case .notServing: "NOT_SERVING"
        case .serviceUnknown: "SERVICE_UNKNOWN"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}
