// Parses the test hooks out of request metadata.

import GRPCCore

/// What a request asked the sample services to do besides their job.
///
/// These hooks are how end-to-end tests make a backend misbehave on purpose
/// behind the proxy; ``TestHookInterceptor`` applies them to every RPC.
public struct TestHooks: Sendable, Equatable {
    /// The error to fail with (`x-fail-code` ≠ 0, `x-fail-message`), if any.
    public var failure: RPCError?

    /// How long to wait before answering (`x-delay-ms`), if at all.
    public var delay: Duration?

    /// Request metadata to copy into the response (`x-echo-*`, `-bin` included).
    public var echoedMetadata: Metadata

    /// Reads the hooks from request metadata; malformed values are ignored so a
    /// typo never turns into a surprising failure of its own.
    public init(requestMetadata metadata: Metadata) {
        self.failure = nil
        self.delay = nil
        self.echoedMetadata = [:]

        if let text = metadata[stringValues: SampleMetadataKey.failCode].first(where: { _ in true }),
           let number = Int(text.trimmingSpaces),
           let status = Status.Code(rawValue: number),
           let code = RPCError.Code(status)
        {
            let message = metadata[stringValues: SampleMetadataKey.failMessage].first(where: { _ in true }) ?? ""
            self.failure = RPCError(code: code, message: message)
        }

        if let text = metadata[stringValues: SampleMetadataKey.delayMilliseconds].first(where: { _ in true }),
           let milliseconds = Int(text.trimmingSpaces), milliseconds > 0
        {
            self.delay = .milliseconds(milliseconds)
        }

        for (key, value) in metadata where key.lowercased().hasPrefix(SampleMetadataKey.echoPrefix) {
            self.echoedMetadata.add(contentsOf: [(key: key, value: value)])
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = self.firstIndex { $0 != " " } ?? self.endIndex
        let end = self.lastIndex { $0 != " " }.map { self.index(after: $0) } ?? start
        return self[start..<end]
    }
}
