// libFuzzer target: arbitrary bytes as the proxy's side of the membership
// stream. They go through the same frame decoder as MembershipClient, then
// JSON decoding, the membership table and the routing built from it. A bad
// frame must be refused and leave the table in force unchanged.
import Logging
import Membership
import NIOCore
import NIOEmbedded
import NIOExtras
@testable import DataPlane

private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var frames: [[UInt8]] = []
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        frames.append(frame.readBytes(length: frame.readableBytes) ?? [])
    }
}

// Also libFuzzer\'s own name for the callback, in case its main is the one linked.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMembershipFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let collector = Collector()
    let channel = EmbeddedChannel()
    try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(
        LengthFieldBasedFrameDecoder(lengthFieldBitLength: .fourBytes),
        maximumBufferSize: MembershipFrame.maximumBufferedBytes))
    try! channel.pipeline.syncOperations.addHandler(collector)
    // Fed in two pieces, so that frames split across reads are exercised.
    let split = size > 0 ? Int(data[0]) % (size + 1) : 0
    _ = try? channel.writeInbound(ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: split)))
    _ = try? channel.writeInbound(ByteBuffer(bytes: UnsafeBufferPointer(start: data + split, count: size - split)))
    _ = try? channel.finish()

    var table = MembershipTable()
    for payload in collector.frames {
        guard let message = try? MembershipFrame.decode(payload) else { continue }
        let before = table
        do {
            try table.apply(message)
        } catch {
            precondition(table == before, "a refused update changed the table")
            continue
        }
        guard let snapshot = try? MembershipClient.routing(for: table, staticClusters: [], logger: logger) else {
            continue
        }
        for cluster in snapshot.clusters {
            precondition(!cluster.grpcServices.isEmpty)
            for e in cluster.endpoints {
                // Accepted endpoints are IPs with usable ports: the workers
                // never resolve names from the stream.
                precondition((try? SocketAddress(ipAddress: e.address.host, port: e.address.port)) != nil,
                             "accepted endpoint \(e.address) is not an IP address")
            }
        }
    }
    return 0
}
