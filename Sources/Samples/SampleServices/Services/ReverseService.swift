// The tutorial's reverse-grpc service.

import GRPCCore

/// `api.Reverse`: returns the content reversed by Unicode characters
/// (grapheme clusters), so "héllo 👋🏽" becomes "👋🏽 olléh".
public struct ReverseService: Api_Reverse.SimpleServiceProtocol {
    /// The fully qualified service name, `api.Reverse`.
    public static let serviceName = Api_Reverse.descriptor.fullyQualifiedService

    /// Creates the service.
    public init() {}

    /// Returns the reversed content.
    public func reverse(
        request: Api_ReverseRequest,
        context: ServerContext
    ) async throws -> Api_ReverseResponse {
        .with { $0.content = String(request.content.reversed()) }
    }
}
