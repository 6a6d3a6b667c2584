// The tutorial's echo-grpc service: one method of each RPC kind.

import GRPCCore

/// `api.Echo`: returns what it is sent, in four shapes.
///
/// - `Echo`: the request content.
/// - `Expand`: the content `x-repeat` times (with test hooks on, at most
///   ``TestHooks/maximumRepeatCount``), or else one response per
///   space-separated word (as the grpc-swift echo example does).
/// - `Collect`: `"<count> messages, <bytes> bytes"` (UTF-8 bytes of content).
/// - `Update`: every message back as it arrives.
///
/// The test hooks of ``TestHookInterceptor`` apply to every method.
public struct EchoService: Api_Echo.ServiceProtocol {
    /// The fully qualified service name, `api.Echo`.
    public static let serviceName = Api_Echo.descriptor.fullyQualifiedService

    /// Whether `x-repeat` is obeyed (`--test-hooks`); otherwise it is ignored.
    public let testHooks: Bool

    /// Creates the service; `testHooks` makes `Expand` obey `x-repeat`.
    public init(testHooks: Bool) {
        self.testHooks = testHooks
    }

    /// Returns the request content.
    public func echo(
        request: ServerRequest<Api_EchoRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Api_EchoResponse> {
        ServerResponse(message: .with { $0.content = request.message.content })
    }

    /// Streams the content back `x-repeat` times, or word by word.
    public func expand(
        request: ServerRequest<Api_EchoRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Api_EchoResponse> {
        let content = request.message.content
        if self.testHooks,
           let text = request.metadata[stringValues: SampleMetadataKey.repeatCount].first(where: { _ in true })
        {
            guard let count = Int(text), count >= 0 else {
                throw RPCError(code: .invalidArgument, message: "\(SampleMetadataKey.repeatCount) must be a count, got '\(text)'")
            }
            guard count <= TestHooks.maximumRepeatCount else {
                throw RPCError(code: .invalidArgument,
                               message: "\(SampleMetadataKey.repeatCount) must be at most \(TestHooks.maximumRepeatCount), got \(count)")
            }
            // One message at a time: the stream is never held in memory;
            // and none is made for a client that went away.
            let message = Api_EchoResponse.with { $0.content = content }
            let cancellation = context.cancellation
            return StreamingServerResponse { writer in
                for _ in 0..<count {
                    if cancellation.isCancelled {
                        throw RPCError(code: .cancelled, message: "cancelled during \(SampleMetadataKey.repeatCount)")
                    }
                    try await writer.write(message)
                }
                return [:]
            }
        }
        return StreamingServerResponse { writer in
            for word in content.split(separator: " ") {
                try await writer.write(.with { $0.content = String(word) })
            }
            return [:]
        }
    }

    /// Counts the messages of the stream and their content bytes.
    public func collect(
        request: StreamingServerRequest<Api_EchoRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Api_EchoResponse> {
        var count = 0
        var bytes = 0
        for try await message in request.messages {
            count += 1
            bytes += message.content.utf8.count
        }
        let summary = "\(count) messages, \(bytes) bytes"
        return ServerResponse(message: .with { $0.content = summary })
    }

    /// Echoes every message as soon as it arrives.
    public func update(
        request: StreamingServerRequest<Api_EchoRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Api_EchoResponse> {
        StreamingServerResponse { writer in
            for try await message in request.messages {
                try await writer.write(.with { $0.content = message.content })
            }
            return [:]
        }
    }
}
