// Parses the test hooks out of request metadata.

import GRPCCore

/// What a request asked the sample services to do besides their job.
///
/// These hooks are how end-to-end tests make a backend misbehave on purpose
/// behind the proxy; ``TestHookInterceptor`` applies them to every RPC when
/// the server runs with `--test-hooks`.
public struct TestHooks: Sendable, Equatable {
    /// The longest `x-delay-ms` or `x-read-delay-ms` obeyed (60 s): even with
    /// hooks on, one request must not hold a handler for longer.
    public static let maximumDelayMilliseconds = 60_000

    /// The largest `x-repeat` that `Expand` obeys.
    public static let maximumRepeatCount = 10_000

    /// Why the request is refused (a delay over the bound), if it is: the
    /// RPC fails with this error before anything else happens.
    public var rejection: RPCError?

    /// The error to fail with (`x-fail-code` ≠ 0, `x-fail-message`), if any.
    public var failure: RPCError?

    /// How long to wait before answering (`x-delay-ms`), if at all.
    public var delay: Duration?

    /// How long to wait before taking each request message (`x-read-delay-ms`).
    public var readDelay: Duration?

    /// Request metadata to copy into the response (`x-echo-*`, `-bin` included,
    /// and the headers named in `x-reflect-headers` as `x-reflected-*`).
    public var echoedMetadata: Metadata

    /// Reads the hooks from request metadata; malformed values are ignored so a
    /// typo never turns into a surprising failure of its own.
    public init(requestMetadata metadata: Metadata) {
        self.failure = nil
        self.rejection = nil
        self.delay = nil
        self.readDelay = nil
        self.echoedMetadata = [:]

        if let text = metadata[stringValues: SampleMetadataKey.failCode].first(where: { _ in true }),
           let number = Int(text.trimmingSpaces),
           let status = Status.Code(rawValue: number),
           let code = RPCError.Code(status)
        {
            let message = metadata[stringValues: SampleMetadataKey.failMessage].first(where: { _ in true }) ?? ""
            self.failure = RPCError(code: code, message: message)
        }

        for key in [SampleMetadataKey.delayMilliseconds, SampleMetadataKey.readDelayMilliseconds] {
            if let milliseconds = Self.milliseconds(metadata, key), milliseconds > Self.maximumDelayMilliseconds {
                self.rejection = RPCError(code: .invalidArgument,
                                          message: "\(key) must be at most \(Self.maximumDelayMilliseconds), got \(milliseconds)")
                break
            }
        }
        if self.rejection == nil {
            self.delay = Self.milliseconds(metadata, SampleMetadataKey.delayMilliseconds).map { .milliseconds($0) }
            self.readDelay = Self.milliseconds(metadata, SampleMetadataKey.readDelayMilliseconds).map { .milliseconds($0) }
        }

        for (key, value) in metadata where key.lowercased().hasPrefix(SampleMetadataKey.echoPrefix) {
            self.echoedMetadata.add(contentsOf: [(key: key, value: value)])
        }

        for list in metadata[stringValues: SampleMetadataKey.reflectHeaders] {
            for name in list.split(separator: ",") {
                let key = name.trimmingSpaces.lowercased()
                guard !key.isEmpty else { continue }
                for value in metadata[stringValues: key] {
                    self.echoedMetadata.addString(value, forKey: SampleMetadataKey.reflectedPrefix + key)
                }
            }
        }
    }

    private static func milliseconds(_ metadata: Metadata, _ key: String) -> Int? {
        guard let text = metadata[stringValues: key].first(where: { _ in true }),
              let milliseconds = Int(text.trimmingSpaces), milliseconds > 0
        else { return nil }
        return milliseconds
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: SubSequence {
        let start = self.firstIndex { $0 != " " } ?? self.endIndex
        let end = self.lastIndex { $0 != " " }.map { self.index(after: $0) } ?? start
        return self[start..<end]
    }
}
