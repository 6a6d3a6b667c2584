// The bytes of one stream direction waiting for the other side's window.
// What passes straight through is a slice of the received buffer, never a
// copy; bytes that pile up behind a slow reader are packed into buffers of
// the queue's own, so that what it holds is what it counts (a slice keeps
// its whole read buffer alive).
import NIOCore

struct BodyQueue {
    private var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    private(set) var bytes = 0
    /// The sender ended the body (END_STREAM or trailers).
    var ended = false
    /// Trailers to send after the body.
    var trailers: HeaderBlock?

    var isEmpty: Bool { bytes == 0 }

    /// The last chunk is a buffer of the queue's own with room at its end.
    private var tailIsPacked = false

    static let packedBufferSize = 64 << 10

    mutating func append(_ buffer: ByteBuffer) {
        let n = buffer.readableBytes
        guard n > 0 else { return }
        bytes += n
        guard !chunks.isEmpty else {
            chunks.append(buffer)
            tailIsPacked = false
            return
        }
        // Backed up: pack instead of pinning another read buffer.
        var rest = buffer
        if tailIsPacked {
            let last = chunks.index(before: chunks.endIndex)
            let room = chunks[last].writableBytes
            if room > 0 {
                var piece = rest.readSlice(length: min(room, rest.readableBytes))!
                chunks[last].writeBuffer(&piece)
            }
        }
        while rest.readableBytes > 0 {
            var packed = ByteBufferAllocator().buffer(capacity: Self.packedBufferSize)
            var piece = rest.readSlice(length: min(packed.writableBytes, rest.readableBytes))!
            packed.writeBuffer(&piece)
            chunks.append(packed)
            tailIsPacked = true
        }
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
            if chunks.isEmpty { tailIsPacked = false }
            bytes -= first.readableBytes
            return first
        }
        let slice = first.readSlice(length: count)!
        chunks[chunks.startIndex] = first
        // Writing on into a buffer a slice was taken from would copy it.
        if chunks.count == 1 { tailIsPacked = false }
        bytes -= count
        return slice
    }

    /// Drops everything queued; returns how many bytes were dropped.
    mutating func discard() -> Int {
        let n = bytes
        chunks.removeAll()
        tailIsPacked = false
        bytes = 0
        return n
    }
}
