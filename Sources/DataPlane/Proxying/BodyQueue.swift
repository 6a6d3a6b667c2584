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

    /// The last chunk is a buffer of the queue's own that may grow.
    private var tailIsPacked = false
    /// Storage beyond its bytes that the first chunk keeps alive: a small
    /// slice of a big read buffer, alone in the queue. It counts as held.
    private var headPin = 0

    static let packedBufferSize = 64 << 10

    /// What the queue keeps in memory: its bytes and the storage they pin.
    var held: Int { bytes + headPin }

    mutating func append(_ buffer: ByteBuffer) {
        let n = buffer.readableBytes
        guard n > 0 else { return }
        bytes += n
        guard !chunks.isEmpty else {
            // The usual case: the other side takes it at once, as a slice.
            chunks.append(buffer)
            tailIsPacked = false
            headPin = Self.pin(of: buffer)
            return
        }
        // Backed up. A lone small slice at the head is packed first, so a
        // stalled stream pins at most one read buffer, and only briefly.
        if headPin > 0, chunks.count == 1 {
            let head = chunks.removeFirst()
            headPin = 0
            pack(head)
        }
        pack(buffer)
    }

    /// Storage a slice keeps alive beyond its own bytes, when that is much.
    private static func pin(of buffer: ByteBuffer) -> Int {
        let extra = buffer.storageCapacity - buffer.readableBytes
        return extra > 7 * buffer.readableBytes ? extra : 0
    }

    /// Appends behind the last chunk: a slice that is most of its storage
    /// as it is, anything smaller copied into a buffer of the queue's own.
    private mutating func pack(_ buffer: ByteBuffer) {
        var rest = buffer
        let n = rest.readableBytes
        if n * 2 >= rest.storageCapacity && n >= 4096 {
            chunks.append(rest)
            tailIsPacked = false
            return
        }
        if tailIsPacked {
            let last = chunks.index(before: chunks.endIndex)
            if chunks[last].readableBytes + n <= Self.packedBufferSize {
                // In place: a copy of the element would make the write copy
                // the whole storage (copy on write).
                chunks.modify(last) { $0.writeBuffer(&rest) }
                return
            }
        }
        var packed = ByteBufferAllocator().buffer(capacity: max(n, 4096))
        packed.writeBuffer(&rest)
        chunks.append(packed)
        tailIsPacked = true
    }

    mutating func prepend(_ buffers: [ByteBuffer]) {
        if !buffers.isEmpty { headPin = 0 }
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
            headPin = 0
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
        headPin = 0
        bytes = 0
        return n
    }
}
