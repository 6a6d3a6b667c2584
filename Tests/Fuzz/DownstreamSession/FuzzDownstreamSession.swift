// libFuzzer target: arbitrary bytes from a client into a downstream
// connection's HTTP/2 session handling: nghttp2, the abuse limits, header
// checks, routing and the proxy's own responses. The routing table has one
// cluster with no endpoints, so requests end in the proxy's own errors and
// nothing leaves the process.
import CNGHTTP2
import Logging
import NIOCore
import NIOEmbedded
@testable import DataPlane

nonisolated(unsafe) private let loop = EmbeddedEventLoop()

// libFuzzer calls the target from one thread only.
nonisolated(unsafe) private let worker: Worker = {
    var limits = WorkerLimits()
    limits.downstreamHTTP2.maxConcurrentStreams = 16
    limits.guarded.http2.maxResetStreams = 20
    limits.guarded.http2.maxControlFrames = 50
    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    let w = Worker(eventLoop: loop, index: 0, limits: limits, logger: logger)
    w.apply(RoutingSnapshot(version: "fuzz", clusters: [
        ClusterConfig(name: "echo-grpc", grpcServices: ["api.Echo"], endpoints: []),
    ]))
    return w
}()

/// The client preface and an empty SETTINGS frame.
private let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]

// Also libFuzzer\'s own name for the callback, in case its main is the one linked.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzDownstreamSession(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let channel = EmbeddedChannel(loop: loop)
    try! channel.pipeline.syncOperations.addHandler(DownstreamConnection(worker: worker))
    try! channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()

    // The first byte picks how the input is cut into reads and whether the
    // preface is given for free (most inputs should reach the frame layer).
    let control = data[0]
    var input: [UInt8] = control & 1 == 0 ? preface : []
    input += UnsafeBufferPointer(start: data + 1, count: size - 1)
    let chunk = max(1, Int(control >> 1) * 7)
    var offset = 0
    while offset < input.count && channel.isActive {
        let end = min(offset + chunk, input.count)
        _ = try? channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        offset = end
    }
    // Deadlines: a sweep far in the future closes whatever is left.
    for connection in worker.downstreams.values { connection.sweep(now: .now() + .hours(2)) }
    while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
    _ = try? channel.close().wait()
    loop.run()
    precondition(worker.downstreams.isEmpty, "a closed connection stayed registered")
    return 0
}
