// The bytes of one stream direction waiting for the other side's window:
// slices of received buffers, never copies.
import NIOCore

struct BodyQueue {
    private var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    private(set) var bytes = 0
    /// The sender ended the body (END_STREAM or trailers).
    var ended = false
    /// Trailers to send after the body.
    var trailers: HeaderBlock?

    var isEmpty: Bool { bytes == 0 }

    mutating func append(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        bytes += buffer.readableBytes
        chunks.append(buffer)
    }

    mutating func prepend(_ buffers: [ByteBuffer]) {
        for b in buffers.reversed() where b.readableBytes > 0 {
            bytes += b.readableBytes
            chunks.prepend(b)
        }
    }

    /// What the next DATA frame can carry (at most `max` bytes, from one
    /// buffer so that it goes out without copying).
    func nextChunk(max: Int) -> BodyChunk {
        guard let first = chunks.first else {
            return ended ? .last(0, trailers: trailers) : .deferred
        }
        let n = Swift.min(max, first.readableBytes)
        if ended && n == bytes { return .last(n, trailers: trailers) }
        return .data(n)
    }

    /// Removes exactly `count` bytes from the front (count never exceeds the
    /// first buffer: `nextChunk` promised no more).
    mutating func take(_ count: Int) -> ByteBuffer {
        guard var first = chunks.first else { return ByteBuffer() }
        if count >= first.readableBytes {
            chunks.removeFirst()
            bytes -= first.readableBytes
            return first
        }
        let slice = first.readSlice(length: count)!
        chunks[chunks.startIndex] = first
        bytes -= count
        return slice
    }

    /// Drops everything queued; returns how many bytes were dropped.
    mutating func discard() -> Int {
        let n = bytes
        chunks.removeAll()
        bytes = 0
        return n
    }
}
