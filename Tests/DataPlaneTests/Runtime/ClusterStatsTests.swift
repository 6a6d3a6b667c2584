import Testing
@testable import DataPlane

@Suite struct ClusterStatsTests {
    @Test func histogramBucketsAreUpperBoundsInclusive() {
        var h = LatencyHistogram()
        h.observe(nanoseconds: 0)
        h.observe(nanoseconds: 500_000)          // exactly 0.5 ms: the first bucket
        h.observe(nanoseconds: 500_001)
        h.observe(nanoseconds: 60_000_000_001)   // above 60 s: +Inf only
        #expect(h.buckets[0] == 2 && h.buckets[1] == 1 && h.buckets.last == 1)
        #expect(h.cumulative.last == h.count && h.count == 4)
        #expect(h.sumNanoseconds == 60_001_000_002)
        #expect(LatencyHistogram.labels.count == LatencyHistogram.bounds.count)
        var sum = LatencyHistogram()
        sum.add(h)
        sum.add(h)
        #expect(sum.count == 8 && sum.cumulative == h.cumulative.map { $0 * 2 })
    }

    @Test func statusSlots() {
        #expect(GRPCStatusCounts.slot("0") == 0)
        #expect(GRPCStatusCounts.slot("14") == 14)
        #expect(GRPCStatusCounts.slot("99") == 2)      // unknown codes read as UNKNOWN
        #expect(GRPCStatusCounts.slot("x") == 2)
        #expect(GRPCStatusCounts.slot(nil) == GRPCStatusCounts.none)
        #expect(GRPCStatusCounts.label(GRPCStatusCounts.none) == "none")
    }

    @Test func prometheusTextHelpers() {
        #expect(PrometheusText.seconds(0) == "0")
        #expect(PrometheusText.seconds(1_500_000_000) == "1.5")
        #expect(PrometheusText.seconds(60_000_001) == "0.060000001")
        #expect(PrometheusText.labels(["cluster": "a\"b\\c\nd", "le": "+Inf"]) == "{cluster=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"}")
    }
}
