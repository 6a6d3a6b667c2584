// Graceful shutdown for the executables: wait for SIGTERM (Kubernetes) or
// SIGINT (a terminal), then let the caller drain and exit.
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

public enum TerminationSignal {
    /// Returns the number of the first SIGTERM or SIGINT received. Their
    /// default action, ending the process at once, is turned off first.
    public static func wait() async -> Int32 {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        for await number in stream { return number }
        return SIGTERM
    }
}
