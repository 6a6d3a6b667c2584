// The proxy's end of the membership stream: connects to the controller's
// Unix socket, reconnects with backoff, applies every update whole (or
// NACKs it and keeps the previous one) and acknowledges it.
import Foundation
import Logging
import Membership
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix

/// What `/ready` and metrics say about the membership stream.
public struct MembershipStatus: Sendable {
    public var configured = false
    public var connected = false
    public var version: UInt64 = 0
    /// Seconds since the process started when the last update was applied.
    public var lastUpdate: NIODeadline?
    public var lastError: String?
    public var received = false
}

final class MembershipClient: Sendable {
    let socketPath: String
    let proxy: Proxy
    let logger: Logger
    let node: String
    let table = NIOLockedValueBox(MembershipTable())
    let status = NIOLockedValueBox(MembershipStatus(configured: true))
    private let stopped = ManagedAtomicBool()

    init(socketPath: String, proxy: Proxy, logger: Logger) {
        self.socketPath = socketPath
        self.proxy = proxy
        self.logger = logger
        self.node = ProcessInfo.processInfo.hostName
    }

    func start() { connect(delay: .zero, attempt: 0) }

    func stop() { stopped.set() }

    private func connect(delay: TimeAmount, attempt: Int) {
        let loop = proxy.group.any()
        loop.scheduleTask(in: delay) {
            guard !self.stopped.isSet else { return }
            ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .fourBytes),
                                                 maximumBufferSize: MembershipFrame.maximumBufferedBytes))
                        try channel.pipeline.syncOperations.addHandler(MembershipStreamHandler(client: self))
                    }
                }
                .connect(unixDomainSocketPath: self.socketPath)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        channel.closeFuture.whenComplete { _ in
                            self.status.withLockedValue { $0.connected = false }
                            if !self.stopped.isSet {
                                self.logger.warning("membership stream closed; keeping version \(self.table.withLockedValue { $0.version }) and reconnecting")
                                self.connect(delay: .milliseconds(100), attempt: 1)
                            }
                        }
                    case .failure(let error):
                        let next = min(100 * (1 << min(attempt, 6)), 5000)
                        if attempt == 0 || attempt % 10 == 0 {
                            self.logger.warning("cannot reach the controller at \(self.socketPath): \(error); retrying")
                        }
                        self.status.withLockedValue { $0.lastError = "\(error)" }
                        self.connect(delay: .milliseconds(Int64(next)), attempt: attempt + 1)
                    }
                }
        }
    }

    /// Applies one decoded message; returns the reply to send.
    func handle(_ message: MembershipMessage) -> MembershipMessage? {
        switch message {
        case .snapshot(let version, _), .delta(let version, _, _, _):
            do {
                let applied = try table.withLockedValue { table -> MembershipTable in
                    var next = table
                    try next.apply(message)
                    let snapshot = try self.routing(for: next)
                    table = next
                    proxy.update(snapshot)
                    return next
                }
                status.withLockedValue {
                    $0.version = applied.version
                    $0.lastUpdate = .now()
                    $0.received = true
                    $0.lastError = nil
                }
                proxy.membershipReceived()
                return .ack(version: version)
            } catch {
                logger.error("refused membership version \(version): \(error)")
                status.withLockedValue { $0.lastError = "version \(version): \(error)" }
                return .nack(version: version, error: "\(error)")
            }
        default:
            return nil
        }
    }

    /// Static clusters from the config plus the controller's; a gRPC service
    /// configured statically stays with its static cluster.
    func routing(for table: MembershipTable) throws -> RoutingSnapshot {
        try Self.routing(for: table, staticClusters: proxy.config.clusters, logger: logger)
    }

    static func routing(for table: MembershipTable, staticClusters: [ClusterConfig],
                        logger: Logger) throws -> RoutingSnapshot {
        var clusters = staticClusters
        var owned = Set(clusters.flatMap(\.grpcServices))
        for m in table.clusters.values.sorted(by: { $0.name < $1.name }) {
            var c = ClusterConfig(name: m.name, grpcServices: [], endpoints: [])
            for s in m.grpcServices where !owned.contains(s) { c.grpcServices.append(s) }
            if c.grpcServices.count < m.grpcServices.count {
                logger.warning("cluster \(m.name): gRPC services also configured statically are left to the static cluster")
            }
            owned.formUnion(c.grpcServices)
            c.lbPolicy = LoadBalancingPolicy(rawValue: m.lbPolicy) ?? .roundRobin
            c.hashHeader = m.hashHeader
            if m.healthCheck.kind == "grpc" {
                var h = HealthCheckConfig()
                h.service = m.healthCheck.service
                c.healthCheck = h
            }
            c.timeout = m.timeoutMilliseconds > 0 ? .milliseconds(Int64(m.timeoutMilliseconds)) : nil
            if let b = m.circuitBreakers {
                if let n = b.maxRequests { c.circuitBreakers.maxRequests = max(n, 1) }
                if let n = b.maxPendingRequests { c.circuitBreakers.maxPendingRequests = max(n, 1) }
            }
            c.endpoints = m.endpoints.map {
                EndpointConfig(address: HostPort(host: $0.address, port: $0.port), ready: $0.ready,
                               serving: $0.serving, terminating: $0.terminating)
            }
            clusters.append(c)
        }
        return RoutingSnapshot(version: String(table.version), clusters: clusters)
    }
}

/// One connection of the stream: hello first, then a reply per update.
final class MembershipStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let client: MembershipClient

    init(client: MembershipClient) { self.client = client }

    func channelActive(context: ChannelHandlerContext) {
        client.status.withLockedValue { $0.connected = true }
        let last = client.table.withLockedValue { $0.version }
        send(.hello(node: client.node, lastVersion: last), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        let payload = frame.readBytes(length: frame.readableBytes) ?? []
        let message: MembershipMessage
        do {
            message = try MembershipFrame.decode(payload)
        } catch {
            client.logger.error("bad membership frame: \(error)")
            send(.nack(version: 0, error: "bad frame: \(error)"), context: context)
            return
        }
        if let reply = client.handle(message) { send(reply, context: context) }
    }

    private func send(_ message: MembershipMessage, context: ChannelHandlerContext) {
        guard let bytes = try? MembershipFrame.encode(message) else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        client.logger.warning("membership stream error: \(error)")
        context.close(promise: nil)
    }
}

/// A set-once flag.
final class ManagedAtomicBool: Sendable {
    private let box = NIOLockedValueBox(false)
    func set() { box.withLockedValue { $0 = true } }
    var isSet: Bool { box.withLockedValue { $0 } }
}
