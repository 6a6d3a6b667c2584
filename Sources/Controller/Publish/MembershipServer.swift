// The Unix socket proxies connect to; frames in and out of the publisher.
import Foundation
import Logging
import Membership
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// Listens on a Unix stream socket and connects every proxy to a
/// ``MembershipPublisher``.
public final class MembershipServer: Sendable {
    private let channel: any Channel
    /// The socket path listened on.
    public let path: String

    private init(channel: any Channel, path: String) {
        self.channel = channel
        self.path = path
    }

    /// Binds `path`, first removing a stale socket file left by a previous
    /// run (but never a regular file or directory someone put there).
    public static func start(path: String, publisher: MembershipPublisher, group: any EventLoopGroup,
                             logger: Logger) async throws -> MembershipServer {
        try removeStaleSocket(at: path)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(
                        LengthFieldBasedFrameDecoder(lengthFieldBitLength: .fourBytes),
                        maximumBufferSize: MembershipFrame.maximumBufferedBytes))
                    try channel.pipeline.syncOperations.addHandler(
                        MembershipConnectionHandler(publisher: publisher, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        return MembershipServer(channel: channel, path: path)
    }

    /// Stops listening and removes the socket file; open connections end
    /// when the event loop group shuts down.
    public func close() async {
        try? await channel.close()
        unlink(path)
    }

    static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw MembershipServerError("\(path) exists and is not a socket; refusing to replace it")
        }
        unlink(path)
    }
}

/// Why the membership server cannot start.
public struct MembershipServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// One proxy connection: registers with the publisher, decodes messages.
final class MembershipConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let publisher: MembershipPublisher
    let logger: Logger
    private let id = ConnectionIDBox()

    init(publisher: MembershipPublisher, logger: Logger) {
        self.publisher = publisher
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let logger = self.logger
        let id = publisher.connect { message in
            // Enqueue, never write inline: the publisher calls this under its
            // lock, and the order of enqueueing is the order on the wire.
            channel.eventLoop.execute {
                do {
                    let bytes = try MembershipFrame.encode(message)
                    channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
                } catch {
                    logger.error("cannot encode a membership message: \(error)")
                }
            }
        }
        self.id.set(id)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        let payload = frame.readBytes(length: frame.readableBytes) ?? []
        guard let id = id.get() else { return }
        do {
            publisher.receive(try MembershipFrame.decode(payload), from: id)
        } catch {
            logger.warning("closing a proxy connection after a bad message: \(error)")
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let id = id.get() { publisher.disconnect(id) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("proxy connection error: \(error)")
        context.close(promise: nil)
    }
}

/// The connection id, set once on the event loop and read there.
final class ConnectionIDBox: Sendable {
    private let value = Mutex<UInt64?>(nil)
    func set(_ id: UInt64) { value.withLock { $0 = id } }
    func get() -> UInt64? { value.withLock { $0 } }
}
