import CNGHTTP2
import NIOCore
import Testing
@testable import DataPlane

@Suite struct ConnectionGuardTests {
    func limits(_ edit: (inout ProxyLimits) -> Void = { _ in }) -> ProxyLimits {
        var l = ProxyLimits()
        l.http2.maxResetStreams = 10
        l.http2.maxControlFrames = 20
        edit(&l)
        return l
    }

    @Test func windowCounterStartsOverEachWindow() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var c = WindowCounter(window: .seconds(1), now: t0)
        #expect(c.add(now: t0) == 1)
        #expect(c.add(5, now: t0 + .milliseconds(999)) == 6)
        #expect(c.add(now: t0 + .seconds(1)) == 1)
    }

    @Test func rapidResetNeedsManyResetsThatAreMostStreams() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        // A busy client cancelling one RPC in three is left alone.
        var busy = ConnectionGuard(limits: limits(), now: t0)
        for i in 0..<300 {
            busy.streamOpened(now: t0)
            if i % 3 == 0 { #expect(busy.streamReset(now: t0) == nil) }
        }
        // A client resetting every stream it opens is cut after the limit.
        var attacker = ConnectionGuard(limits: limits(), now: t0)
        var verdicts: [AbuseVerdict?] = []
        for _ in 0..<12 {
            attacker.streamOpened(now: t0)
            verdicts.append(attacker.streamReset(now: t0))
        }
        #expect(verdicts.prefix(10).allSatisfy { $0 == nil })
        #expect(verdicts.last == .rapidReset)
    }

    @Test func controlFramesAreCountedPerWindow() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var g = ConnectionGuard(limits: limits(), now: t0)
        for _ in 0..<20 { #expect(g.controlFrame(now: t0) == nil) }
        #expect(g.controlFrame(now: t0) == .controlFrameFlood)
        // The next window starts from zero.
        #expect(g.controlFrame(now: t0 + .seconds(11)) == nil)
    }

    @Test func deadlines() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let l = limits { $0.connections.requestHeadersTimeout = .seconds(2); $0.connections.idleTimeout = .seconds(5) }
        var g = ConnectionGuard(limits: l, now: t0)
        #expect(g.overdue(now: t0 + .seconds(1)) == nil)
        #expect(g.overdue(now: t0 + .seconds(2)) == .prefaceTimeout)
        g.settingsReceived()
        // A header block begun and not finished.
        g.frameBegan(UInt8(NGHTTP2_HEADERS.rawValue), now: t0 + .seconds(3))
        g.streamOpened(now: t0 + .seconds(3))
        #expect(g.overdue(now: t0 + .seconds(4)) == nil)
        #expect(g.overdue(now: t0 + .seconds(5)) == .headersTimeout)
        // Any other frame means the block ended.
        g.frameBegan(UInt8(NGHTTP2_DATA.rawValue), now: t0 + .seconds(5))
        #expect(g.overdue(now: t0 + .seconds(20)) == nil)
        g.allStreamsClosed(now: t0 + .seconds(20))
        #expect(g.overdue(now: t0 + .seconds(24)) == nil)
        #expect(g.overdue(now: t0 + .seconds(25)) == .idle)
    }
}
