// One-line calls of the sample services, returning what tests assert on.

import GRPCCore
import SampleServices

/// The reply of a unary sample call: the content and the metadata around it.
public struct SampleReply: Sendable {
    /// The response message's content.
    public var content: String
    /// The response's initial metadata.
    public var metadata: Metadata
    /// The response's trailing metadata.
    public var trailingMetadata: Metadata

    /// The `hostname` header: which backend instance answered.
    public var hostname: String? {
        self.metadata[stringValues: SampleMetadataKey.hostname].first { _ in true }
    }
}

extension RPCError {
    /// The `hostname` trailer of a failed sample call: which instance failed
    /// it (nil when the proxy, not a backend, made the error).
    public var hostname: String? {
        self.metadata[stringValues: SampleMetadataKey.hostname].first { _ in true }
    }
}

extension GRPCClient {
    /// Calls `api.Echo/Echo`; throws the `RPCError` (with its trailers as
    /// metadata) if the call fails.
    public func echo(_ content: String, metadata: Metadata = [:], options: CallOptions = .defaults) async throws -> SampleReply {
        try await Api_Echo.Client(wrapping: self).echo(.with { $0.content = content }, metadata: metadata,
                                                       options: options) { try SampleReply($0) }
    }

    /// Calls `api.Reverse/Reverse`; throws the `RPCError` if the call fails.
    public func reverse(_ content: String, metadata: Metadata = [:], options: CallOptions = .defaults) async throws -> SampleReply {
        try await Api_Reverse.Client(wrapping: self).reverse(.with { $0.content = content }, metadata: metadata,
                                                             options: options) { try SampleReply($0) }
    }

    /// Calls `grpc.health.v1.Health/Check` for `service` ("" = the server).
    public func healthCheck(service: String = "", options: CallOptions = .defaults) async throws
        -> Grpc_Health_V1_HealthCheckResponse.ServingStatus
    {
        try await Grpc_Health_V1_Health.Client(wrapping: self).check(.with { $0.service = service },
                                                                     options: options).status
    }
}

extension SampleReply {
    fileprivate init<Message: SampleContentMessage>(_ response: ClientResponse<Message>) throws {
        let message = try response.message
        self.init(content: message.content, metadata: response.metadata,
                  trailingMetadata: response.trailingMetadata)
    }
}

/// The sample responses, which all carry a `content` string.
private protocol SampleContentMessage: Sendable {
    var content: String { get }
}

extension Api_EchoResponse: SampleContentMessage {}
extension Api_ReverseResponse: SampleContentMessage {}
