// Streams one watch's events into its HTTP/1.1 response as newline-delimited JSON chunks.
import NIOCore
import NIOHTTP1
import Synchronization

/// A ``WatchSink`` writing to a NIO channel. Every send and close is queued
/// on the channel's event loop with `execute`, which keeps them in the
/// order the store produced them whatever thread that happened on.
final class ChannelWatchSink: WatchSink {
    private let channel: any Channel
    private let finished = Atomic<Bool>(false)
    private let onFinish: @Sendable () -> Void

    init(channel: any Channel, onFinish: @escaping @Sendable () -> Void) {
        self.channel = channel
        self.onFinish = onFinish
    }

    func send(_ line: String) {
        let buffer = ByteBuffer(string: line + "\n")
        channel.eventLoop.execute { [self] in
            guard !finished.load(ordering: .acquiring) else { return }
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    func close(graceful: Bool) {
        channel.eventLoop.execute { [self] in
            guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
            if graceful {
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            } else {
                channel.close(promise: nil)
            }
            onFinish()
        }
    }
}
