// grpc.health.v1.Health over a HealthStatusBoard.

import GRPCCore

/// The standard gRPC health service, answering from a ``HealthStatusBoard``.
///
/// As the health-checking spec says: `Check` of an unknown service name fails
/// with NOT_FOUND; `Watch` of one sends SERVICE_UNKNOWN and stays open.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    private let board: HealthStatusBoard

    /// Creates the service over `board`.
    public init(board: HealthStatusBoard) {
        self.board = board
    }

    /// Returns the current status, or fails with NOT_FOUND.
    public func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        let status = self.board.status(of: request.service)
        guard status != .serviceUnknown else {
            throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
        }
        return .with { $0.status = ServingStatus(status) }
    }

    /// Sends the current status, then every change, until the RPC is
    /// cancelled or the server shuts down.
    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        let known = self.board.status(of: request.service) != .serviceUnknown
        let (updates, stop) = self.board.watch()
        // The handler's task is not cancelled when the client goes away; the
        // RPC's cancellation handle is, so it ends the stream.
        try await withRPCCancellationHandler {
            defer { stop() }
            var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
            for await serving in updates {
                let status: Grpc_Health_V1_HealthCheckResponse.ServingStatus =
                    known ? (serving ? .serving : .notServing) : .serviceUnknown
                guard status != last else { continue }
                last = status
                try await response.write(.with { $0.status = status })
            }
        } onCancelRPC: {
            stop()
        }
    }
}

private typealias ServingStatus = Grpc_Health_V1_HealthCheckResponse.ServingStatus

extension Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    fileprivate init(_ status: HealthStatusBoard.Status) {
        switch status {
        case .serving: self = .serving
        case .notServing: self = .notServing
        case .serviceUnknown: self = .serviceUnknown
        }
    }
}
