// Exponential backoff with jitter, reset after a healthy period (client-go's reflector backoff).

/// How long to wait between failed attempts. The defaults are client-go's
/// reflector: 0.8 s doubling to 30 s, full jitter on top, and a fresh start
/// once nothing has failed for two minutes.
public struct BackoffPolicy: Sendable, Equatable {
    /// First delay.
    public var initial: Duration
    /// Largest delay, jitter and `Retry-After` aside.
    public var maximum: Duration
    /// Growth per consecutive failure.
    public var factor: Double
    /// Random extra, as a fraction of the delay (1.0: up to double).
    public var jitter: Double
    /// Failures further apart than this start again from ``initial``.
    public var resetAfter: Duration

    /// Creates a policy.
    public init(initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), factor: Double = 2,
                jitter: Double = 1.0, resetAfter: Duration = .seconds(120)) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.resetAfter = resetAfter
    }
}

/// The state of one backoff sequence.
struct Backoff {
    let policy: BackoffPolicy
    private var current: Duration?
    private var lastFailure: ContinuousClock.Instant?

    init(policy: BackoffPolicy) {
        self.policy = policy
    }

    /// The delay before the next attempt after a failure. A server's
    /// `Retry-After` is honoured as a lower bound.
    mutating func nextDelay(retryAfter: Duration? = nil, now: ContinuousClock.Instant = .now) -> Duration {
        if let lastFailure, now - lastFailure > policy.resetAfter { current = nil }
        let base = current.map { min(Self.scale($0, by: policy.factor), policy.maximum) } ?? policy.initial
        current = base
        lastFailure = now
        let jittered = min(Self.scale(base, by: 1 + policy.jitter * Double.random(in: 0..<1)), policy.maximum)
        return max(jittered, retryAfter ?? .zero)
    }

    /// Scales to whole microseconds, so that equal inputs give equal delays.
    private static func scale(_ duration: Duration, by factor: Double) -> Duration {
        let (seconds, attoseconds) = duration.components
        let microseconds = (Double(seconds) * 1e6 + Double(attoseconds) / 1e12) * factor
        return .microseconds(Int64(microseconds.rounded()))
    }
}
