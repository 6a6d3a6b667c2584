// The metadata keys the sample services read and write.

/// Metadata keys understood or produced by the sample services.
///
/// End-to-end tests use these to steer a backend through the proxy (see
/// ``TestHookInterceptor`` for what each request key does) and to tell which
/// backend instance answered.
public enum SampleMetadataKey {
    /// Response metadata naming the instance that answered (`--hostname`).
    /// Sent in the initial metadata, and in the trailers when the RPC fails.
    public static let hostname = "hostname"

    /// Request: a status code 0–16; a non-zero code makes the RPC fail with it.
    public static let failCode = "x-fail-code"

    /// Request: the status message used with ``failCode`` (any Unicode text).
    public static let failMessage = "x-fail-message"

    /// Request: milliseconds the handler waits before answering.
    public static let delayMilliseconds = "x-delay-ms"

    /// Request: milliseconds the handler waits before taking each request
    /// message of a stream: a slow reader, for flow-control tests.
    public static let readDelayMilliseconds = "x-read-delay-ms"

    /// Request: how many times `Expand` streams the content back.
    public static let repeatCount = "x-repeat"

    /// Request keys with this prefix (`-bin` ones included) are copied into the
    /// response's initial and trailing metadata unchanged.
    public static let echoPrefix = "x-echo-"

    /// Request: comma-separated names of request headers (any, not only
    /// `x-echo-*`, e.g. ones a proxy added) whose values are copied into the
    /// response's initial and trailing metadata as `x-reflected-<name>`.
    public static let reflectHeaders = "x-reflect-headers"

    /// Response key prefix of the headers asked for with ``reflectHeaders``.
    public static let reflectedPrefix = "x-reflected-"
}
