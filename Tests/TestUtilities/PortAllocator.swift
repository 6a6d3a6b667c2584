// Free loopback TCP ports for tests that run concurrently.

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hands out free 127.0.0.1 TCP ports, never the same one twice in a process.
///
/// The kernel picks a free port (bind to port 0); the process-wide record
/// keeps two concurrently running tests from being handed the same one even
/// if the kernel offers it again before the first test binds it.
///
/// When the program you start can report its own port (the sample servers
/// print `listening on host:port` and accept `--port 0`), prefer that: it has
/// no window in which another process can take the port.
public enum PortAllocator {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A free port on 127.0.0.1.
    public static func freePort() throws -> Int {
        for _ in 0..<64 {
            let port = try self.kernelChosenPort()
            let isNew = self.handedOut.withLock { $0.insert(port).inserted }
            if isNew { return port }
        }
        throw TestUtilityError("PortAllocator: the kernel kept offering ports already handed out")
    }

    /// `count` distinct free ports on 127.0.0.1.
    public static func freePorts(_ count: Int) throws -> [Int] {
        try (0..<count).map { _ in try self.freePort() }
    }

    private static func kernelChosenPort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestUtilityError("PortAllocator: socket() failed, errno \(errno)") }
        defer { close(fd) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestUtilityError("PortAllocator: bind() failed, errno \(errno)") }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else { throw TestUtilityError("PortAllocator: getsockname() failed, errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
