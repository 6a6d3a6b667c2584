// Tunables of an informer; tests shrink the timings.

/// Timing and paging of an ``Informer``. The defaults follow client-go.
public struct InformerOptions: Sendable {
    /// Items per LIST page (`limit`).
    public var pageSize: Int
    /// Range the watch `timeoutSeconds` is drawn from, so that many clients
    /// do not all re-watch at once (client-go: 5 to 10 minutes).
    public var watchTimeoutSeconds: ClosedRange<Int>
    /// Backoff after failures.
    public var backoff: BackoffPolicy
    /// A watch that ends sooner than this without delivering anything counts
    /// as a failure (client-go's "very short watch"), so a server that keeps
    /// closing watches at once is not hammered.
    public var minimumWatchDuration: Duration

    /// Creates options.
    public init(pageSize: Int = 500, watchTimeoutSeconds: ClosedRange<Int> = 300...600,
                backoff: BackoffPolicy = BackoffPolicy(), minimumWatchDuration: Duration = .seconds(1)) {
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.backoff = backoff
        self.minimumWatchDuration = minimumWatchDuration
    }
}
