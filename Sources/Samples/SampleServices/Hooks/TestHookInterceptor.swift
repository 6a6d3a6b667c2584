// Adds the `hostname` header to every RPC and, when enabled, applies the request-metadata test hooks.

import GRPCCore

/// A server interceptor that makes every sample service steerable by tests.
///
/// The hooks are off unless the server runs with `--test-hooks`: then any
/// client could make the server wait or fail, so a server that untrusted
/// clients reach (the sample manifests expose theirs through the public load
/// balancer) must not enable them. When off, the metadata below is ignored
/// and only `hostname` is added. When on, waits are bounded
/// (``TestHooks/maximumDelayMilliseconds``); a larger value fails the RPC with
/// INVALID_ARGUMENT naming the bound.
///
/// Request metadata it understands (keys in ``SampleMetadataKey``):
///
/// | key | effect |
/// |---|---|
/// | `x-delay-ms: N` | wait N ms before the handler runs; if the RPC is cancelled meanwhile (client cancel, deadline, RST_STREAM), print `CANCELLED <method path>` to stderr and end the RPC with CANCELLED (a graceful shutdown does not cut the wait short) |
/// | `x-fail-code: N` | N in 1…16: fail the RPC with that status code (0 or junk: no effect) |
/// | `x-fail-message: text` | the status message of `x-fail-code` (Unicode allowed; `x-fail-message-bin` carries UTF-8 bytes for clients that can't send non-ASCII) |
/// | `x-read-delay-ms: N` | wait N ms before handing each request message of a stream to the handler (a slow reader, so flow control pushes back) |
/// | `x-echo-*` | copied unchanged (binary `-bin` keys too) into the response's initial metadata and its trailers |
/// | `x-reflect-headers: a,b` | the values of request headers `a` and `b` (whatever added them) copied into the response's initial metadata and trailers as `x-reflected-a`, `x-reflected-b`; absent headers are left out |
///
/// Every response also carries `hostname: <instance>` in its initial metadata,
/// or in its trailers when the RPC fails, so tests can see which backend
/// answered.
///
/// The delay comes before the failure, so `x-delay-ms` with `x-fail-code`
/// gives a slow failure.
public struct TestHookInterceptor: ServerInterceptor {
    /// The instance name sent in the `hostname` response header.
    public let hostname: String

    /// Tells a graceful shutdown apart from a cancelled RPC during `x-delay-ms`.
    public let drain: DrainSignal

    /// Whether the request-metadata hooks apply (`--test-hooks`).
    public let enabled: Bool

    /// Creates the interceptor for an instance called `hostname`; `drain` is
    /// the server's (see ``DrainSignal``); `enabled` turns the hooks on.
    public init(hostname: String, drain: DrainSignal = DrainSignal(), enabled: Bool) {
        self.hostname = hostname
        self.drain = drain
        self.enabled = enabled
    }

    /// Applies the hooks of `request` around `next`.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard self.enabled else {
            let decorate = ResponseDecoration(hostname: self.hostname, echoed: [:])
            do {
                return decorate(try await next(request, context))
            } catch let error as RPCError {
                return StreamingServerResponse(error: decorate(error))
            } catch {
                return StreamingServerResponse(error: decorate(RPCError(code: .unknown, message: "\(error)")))
            }
        }
        var hooks = TestHooks(requestMetadata: request.metadata)
        if hooks.failure != nil,
           let bytes = request.metadata[binaryValues: SampleMetadataKey.failMessage + "-bin"].first(where: { _ in true })
        {
            hooks.failure?.message = String(decoding: bytes, as: UTF8.self)
        }
        let decorate = ResponseDecoration(hostname: self.hostname, echoed: hooks.echoedMetadata)

        do {
            if let rejection = hooks.rejection {
                throw rejection
            }
            if let delay = hooks.delay {
                try await CancellableDelay.sleep(for: delay, context: context, drain: self.drain)
            }
            if let failure = hooks.failure {
                throw failure
            }
            var request = request
            if let readDelay = hooks.readDelay {
                let messages = request.messages
                request.messages = RPCAsyncSequence(wrapping: messages.map { message in
                    try await Task.sleep(for: readDelay)
                    return message
                })
            }
            let response = try await next(request, context)
            return decorate(response)
        } catch let error as RPCError {
            return StreamingServerResponse(error: decorate(error))
        } catch {
            return StreamingServerResponse(error: decorate(RPCError(code: .unknown, message: "\(error)")))
        }
    }
}

/// Adds the instance name and the echoed metadata to a response or an error.
private struct ResponseDecoration: Sendable {
    var hostname: String
    var echoed: Metadata

    func callAsFunction(_ error: RPCError) -> RPCError {
        var error = error
        error.metadata.replaceOrAddString(self.hostname, forKey: SampleMetadataKey.hostname)
        error.metadata.add(contentsOf: self.echoed)
        return error
    }

    func callAsFunction<Output: Sendable>(_ response: StreamingServerResponse<Output>) -> StreamingServerResponse<Output> {
        switch response.accepted {
        case .failure(let error):
            return StreamingServerResponse(error: self(error))
        case .success(var contents):
            contents.metadata.replaceOrAddString(self.hostname, forKey: SampleMetadataKey.hostname)
            contents.metadata.add(contentsOf: self.echoed)
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    var trailers = try await producer(writer)
                    trailers.add(contentsOf: self.echoed)
                    return trailers
                } catch let error as RPCError {
                    throw self(error)
                } catch {
                    throw self(RPCError(code: .unknown, message: "\(error)"))
                }
            }
            return StreamingServerResponse(accepted: .success(contents))
        }
    }
}
