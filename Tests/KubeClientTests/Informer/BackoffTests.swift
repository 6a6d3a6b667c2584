// The backoff sequence on its own: doubling, cap, Retry-After, reset after a quiet period.
import Testing
@testable import KubeClient

@Suite struct BackoffTests {
    @Test func doublesToTheCapWithoutJitter() {
        var backoff = Backoff(policy: BackoffPolicy(jitter: 0))
        let start = ContinuousClock.now
        let delays = (0..<8).map { backoff.nextDelay(now: start + .milliseconds($0)) }
        #expect(delays == [.milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400),
                           .milliseconds(12800), .milliseconds(25600), .seconds(30), .seconds(30)])
    }

    @Test func jitterStaysWithinDoubleAndCap() {
        var backoff = Backoff(policy: BackoffPolicy())
        let first = backoff.nextDelay()
        #expect(first >= .milliseconds(800) && first < .milliseconds(1600))
        for _ in 0..<10 { #expect(backoff.nextDelay() <= .seconds(30)) }
    }

    @Test func retryAfterIsALowerBound() {
        var backoff = Backoff(policy: BackoffPolicy(jitter: 0))
        #expect(backoff.nextDelay(retryAfter: .seconds(5)) == .seconds(5))
        #expect(backoff.nextDelay(retryAfter: .seconds(1)) == .milliseconds(1600))
    }

    @Test func resetsAfterAHealthyPeriod() {
        var backoff = Backoff(policy: BackoffPolicy(jitter: 0, resetAfter: .seconds(120)))
        let start = ContinuousClock.now
        _ = backoff.nextDelay(now: start)
        _ = backoff.nextDelay(now: start + .seconds(1))
        #expect(backoff.nextDelay(now: start + .seconds(2)) == .milliseconds(3200))
        #expect(backoff.nextDelay(now: start + .seconds(200)) == .milliseconds(800))
    }
}
