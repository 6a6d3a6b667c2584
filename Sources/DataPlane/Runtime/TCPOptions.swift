// Kernel-level liveness for client and backend sockets: TCP keepalive
// probes for a peer that vanished silently, TCP_USER_TIMEOUT for one that
// stopped acknowledging what was sent.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

struct TCPOptions: Sendable {
    var keepaliveIdleSeconds = 15
    var keepaliveIntervalSeconds = 5
    var keepaliveProbes = 3
    var userTimeoutMilliseconds = 30_000

    init() {}

    init(_ limits: ConnectionLimits) {
        keepaliveIdleSeconds = Int(limits.tcpKeepaliveIdle.nanoseconds / 1_000_000_000)
        keepaliveIntervalSeconds = Int(max(limits.tcpKeepaliveInterval.nanoseconds / 1_000_000_000, 1))
        userTimeoutMilliseconds = Int(limits.tcpUserTimeout.nanoseconds / 1_000_000)
    }

    /// Sets the options on a connected (or connecting) socket channel.
    func apply(to channel: Channel) throws {
        let options = try channel.syncOptions ?? { throw UpstreamError("channel has no synchronous options") }()
        let tcp = NIOBSDSocket.OptionLevel.tcp
        if keepaliveIdleSeconds > 0 {
            try options.setOption(.socketOption(.so_keepalive), value: 1)
            try options.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPIDLE)),
                                  value: SocketOptionValue(keepaliveIdleSeconds))
            try options.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPINTVL)),
                                  value: SocketOptionValue(keepaliveIntervalSeconds))
            try options.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPCNT)),
                                  value: SocketOptionValue(keepaliveProbes))
        }
        if userTimeoutMilliseconds > 0 {
            try options.setOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: Int32(TCP_USER_TIMEOUT))),
                                  value: SocketOptionValue(userTimeoutMilliseconds))
        }
    }
}
