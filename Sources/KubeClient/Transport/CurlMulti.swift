// Owns the libcurl multi handle that runs every transfer of one client.
import CCurl
import Foundation

/// The multi handle. Every method but ``wakeup()`` runs on the driver thread;
/// `curl_multi_wakeup` is documented as callable from any thread, which is
/// what lets other threads interrupt ``poll(timeoutMilliseconds:)``.
final class CurlMulti: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    /// Creates a multi handle that multiplexes HTTP/2 streams on shared connections.
    init() {
        CurlGlobal.initialize()
        guard let handle = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.handle = handle
        _ = portico_curl_multi_setopt_long(handle, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
    }

    deinit {
        curl_multi_cleanup(handle)
    }

    /// Lends the raw handle to ``CurlEasy`` for add/remove; it must not be kept.
    func withUnsafeHandle<T>(_ body: (UnsafeMutableRawPointer) -> T) -> T {
        body(handle)
    }

    /// Moves every transfer forward as far as it can go without blocking.
    func perform() {
        var running: Int32 = 0
        _ = curl_multi_perform(handle, &running)
    }

    /// Waits for socket activity, a libcurl timer, a wakeup, or the timeout.
    func poll(timeoutMilliseconds: Int32) {
        _ = curl_multi_poll(handle, nil, 0, timeoutMilliseconds, nil)
    }

    /// Interrupts a running ``poll(timeoutMilliseconds:)``; callable from any thread.
    func wakeup() {
        _ = curl_multi_wakeup(handle)
    }

    /// The next finished transfer: its id (from `CURLOPT_PRIVATE`) and result.
    func nextFinished() -> (id: Int, result: CURLcode)? {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(handle, &queued) {
            guard portico_curl_msg_is_done(message) != 0 else { continue }
            var idPointer: UnsafeMutableRawPointer?
            _ = portico_curl_easy_getinfo_pointer(portico_curl_msg_easy_handle(message), CURLINFO_PRIVATE, &idPointer)
            return (Int(bitPattern: idPointer), portico_curl_msg_result(message))
        }
        return nil
    }
}

/// Process-wide libcurl initialisation, done once before the first handle.
enum CurlGlobal {
    private static let done: Bool = {
        _ = curl_global_init(portico_curl_global_default)
        // OpenSSL can write to a socket the peer already closed; without this
        // the process would die of SIGPIPE instead of seeing an error.
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// Runs `curl_global_init` the first time it is called.
    static func initialize() { _ = done }
}
