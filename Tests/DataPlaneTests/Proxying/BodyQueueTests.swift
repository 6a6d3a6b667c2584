import NIOCore
import Testing
@testable import DataPlane

@Suite struct BodyQueueTests {
    static func bytes(_ n: Int, _ value: UInt8 = 7) -> ByteBuffer { ByteBuffer(repeating: value, count: n) }

    @Test func whatPassesStraightThroughIsNotCopied() {
        // A slice of a big read buffer, alone in the queue, stays a slice.
        let read = Self.bytes(64 << 10)
        let slice = read.getSlice(at: 0, length: 16 << 10)!
        var q = BodyQueue()
        q.append(slice)
        let out = q.take(16 << 10)
        #expect(out.storageCapacity == read.storageCapacity, "the slice was copied")
        #expect(q.isEmpty)
    }

    @Test func bytesBehindASlowReaderArePackedIntoTheQueuesOwnBuffers() {
        var q = BodyQueue()
        q.append(Self.bytes(10, 1))
        // 1,000 one-byte frames, each a slice of its own 64 KiB read buffer:
        // held, they must not keep 1,000 read buffers alive.
        for _ in 0..<1000 {
            let read = Self.bytes(64 << 10, 2)
            q.append(read.getSlice(at: 0, length: 1)!)
        }
        #expect(q.bytes == 1010)
        var chunks = 0
        var storage = 0
        var total: [UInt8] = []
        while !q.isEmpty {
            guard case .data(let n) = q.nextChunk(max: 1 << 20) else { Issue.record("no data"); return }
            let b = q.take(n)
            chunks += 1
            storage += b.storageCapacity
            total += b.readableBytesView
        }
        #expect(chunks == 2)
        #expect(storage < 200 << 10, "held \(storage) bytes of storage for 1010 bytes")
        #expect(total == [UInt8](repeating: 1, count: 10) + [UInt8](repeating: 2, count: 1000))
    }

    @Test func aLoneSmallSliceCountsWhatItPinsUntilItIsPacked() {
        var q = BodyQueue()
        let read = Self.bytes(64 << 10, 3)
        q.append(read.getSlice(at: 0, length: 1)!)
        #expect(q.bytes == 1)
        #expect(q.held >= 64 << 10, "a 1-byte slice keeps 64 KiB alive and must be charged for it")
        // Backed up: the head is packed and the read buffer let go.
        q.append(Self.bytes(64 << 10, 4).getSlice(at: 0, length: 1)!)
        #expect(q.held == 2)
        guard case .data(let n) = q.nextChunk(max: 100) else { Issue.record("no data"); return }
        let out = q.take(n)
        #expect(Array(out.readableBytesView) == [3, 4])
        #expect(out.storageCapacity < 16 << 10)
    }

    @Test func packingKeepsOrderAcrossBufferBoundaries() {
        var q = BodyQueue()
        q.append(Self.bytes(1, 0))
        var expected: [UInt8] = [0]
        for i in 1...40 {
            let piece = ByteBuffer(bytes: [UInt8](repeating: UInt8(i), count: 5000))
            q.append(piece)
            expected += piece.readableBytesView
        }
        q.ended = true
        var got: [UInt8] = []
        while true {
            switch q.nextChunk(max: 16_384) {
            case .data(let n): got += q.take(n).readableBytesView
            case .last(let n, _):
                got += q.take(n).readableBytesView
                #expect(got == expected)
                return
            case .deferred:
                Issue.record("deferred with bytes queued")
                return
            }
        }
    }
}

@Suite struct GRPCFramingTests {
    /// Two messages (3 and 0 bytes) and the start of a third.
    static let stream: [UInt8] = [0, 0, 0, 0, 3, 0xA, 0xB, 0xC, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0xFF]

    @Test func boundariesWhateverTheCuts() {
        let boundaries: Set<Int> = [0, 8, 13]
        for cut in 1...Self.stream.count {
            var f = GRPCFraming()
            var seen = 0
            var at: Set<Int> = f.atBoundary ? [0] : []
            while seen < Self.stream.count {
                let n = min(cut, Self.stream.count - seen)
                f.advance(over: ByteBuffer(bytes: Self.stream[seen..<seen + n]))
                seen += n
                if f.atBoundary { at.insert(seen) }
            }
            #expect(at.isSubset(of: boundaries), "cut \(cut): \(at)")
            #expect(!f.atBoundary, "a message is still open at the end")
        }
        var whole = GRPCFraming()
        whole.advance(over: ByteBuffer(bytes: Self.stream[0..<13]))
        #expect(whole.atBoundary)
    }
}
