// A loopback address that swallows connection attempts: the SYNs go unanswered.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// A listening socket on 127.0.0.1 that never accepts, with its accept queue
/// already full: the kernel drops further SYNs, so a connect to it neither
/// succeeds nor is refused; it hangs like one to a blackholed address, and
/// no packet leaves the machine.
///
/// ```swift
/// let hole = try BlackholeListener()
/// defer { hole.close() }
/// // endpoints: [hole.address]
/// ```
public final class BlackholeListener: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    private let listener: Int32
    private var fillers: [Int32] = []

    /// `127.0.0.1:<port>`.
    public var address: String { "127.0.0.1:\(self.port)" }

    public init() throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestUtilityError("BlackholeListener: socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                bind(fd, sockaddr, length) == 0 && listen(fd, 0) == 0 && getsockname(fd, sockaddr, &length) == 0
            }
        }
        guard bound else {
            closeDescriptor(fd)
            throw TestUtilityError("BlackholeListener: cannot listen on 127.0.0.1")
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        // Backlog 0 still queues one connection (Linux); two fill it. They
        // connect without blocking and are never accepted.
        for _ in 0..<2 {
            #if canImport(Glibc)
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            #else
            let filler = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard filler >= 0 else { continue }
            var target = address
            _ = withUnsafePointer(to: &target) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            self.fillers.append(filler)
        }
    }

    /// Whether a connect from here completes within `milliseconds` (it
    /// should not: the check that the hole is really one).
    public func connectCompletes(within milliseconds: Int32) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { closeDescriptor(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(self.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc == 0 { return true }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&poller, 1, milliseconds) > 0
    }

    /// Closes the listener and the queued connections.
    public func close() {
        for fd in self.fillers { closeDescriptor(fd) }
        self.fillers = []
        closeDescriptor(self.listener)
    }
}
