// Turns POSIX signals into calls, for the lifetime of a server run.

import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dispatch signal sources that call a closure for each signal received.
///
/// The default disposition of each signal is replaced by "ignore" while the
/// sources exist, so that SIGUSR1 does not kill the process and SIGTERM goes
/// through the graceful path.
final class ProcessSignals {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "sample-server.signals")

    /// Calls `handler` on a private queue every time `signalNumber` arrives.
    func on(_ signalNumber: Int32, _ handler: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: self.queue)
        source.setEventHandler(handler: handler)
        source.resume()
        self.sources.append(source)
    }

    /// Stops listening; the signals stay ignored.
    func cancel() {
        for source in self.sources {
            source.cancel()
        }
        self.sources.removeAll()
    }

    deinit {
        self.cancel()
    }
}
