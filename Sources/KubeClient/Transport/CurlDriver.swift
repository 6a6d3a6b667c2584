// The one thread that drives every transfer of a client through curl_multi_poll.
import CCurl
import Foundation
import Synchronization

/// Runs all transfers on a single dedicated thread. Other threads only
/// enqueue commands and wake the thread; every libcurl call but the wakeup
/// happens on it, so transfers need no locks.
final class CurlDriver: Sendable {
    private enum Command: Sendable {
        case start(id: Int, HTTPRequest, TransferDelivery)
        case cancel(id: Int)
        case shutdown
    }

    private struct Inbox {
        var commands: [Command] = []
        var nextID = 1
        var closed = false
        var onExit: [@Sendable () -> Void] = []
        var exited = false
    }

    private let inbox = Mutex(Inbox())
    private let multi = CurlMulti()
    private let settings: TransportSettings

    /// Starts the driver thread.
    init(settings: TransportSettings) {
        self.settings = settings
        let loop = DriverLoop(multi: multi, settings: settings)
        let thread = Thread { [self] in
            loop.run(takeCommands: { self.takeCommands() })
            self.didExit()
        }
        thread.name = "portico-curl"
        thread.start()
    }

    /// Starts a transfer; returns its id for ``cancel(_:)``. After shutdown
    /// the delivery is told so at once and the id is `nil`.
    func start(_ request: HTTPRequest, delivery: TransferDelivery) -> Int? {
        let id: Int? = inbox.withLock { inbox in
            guard !inbox.closed else { return nil }
            let id = inbox.nextID
            inbox.nextID += 1
            inbox.commands.append(.start(id: id, request, delivery))
            multi.wakeup()
            return id
        }
        if id == nil {
            switch delivery {
            case .buffered(let done): done(.failure(.shutdown))
            case .lines(_, _, let end): end(.shutdown)
            }
        }
        return id
    }

    /// Ends a transfer early; its delivery sees ``TransportError/cancelled``.
    func cancel(_ id: Int) {
        inbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.commands.append(.cancel(id: id))
            multi.wakeup()
        }
    }

    /// Ends every transfer and stops the thread; `completion` runs once it has.
    func shutdown(completion: (@Sendable () -> Void)? = nil) {
        let runNow: Bool = inbox.withLock { inbox in
            if inbox.exited { return true }
            if let completion { inbox.onExit.append(completion) }
            if !inbox.closed {
                inbox.closed = true
                inbox.commands.append(.shutdown)
                // Wakeup happens under the lock and before the thread can see
                // `.shutdown`, so it never touches a cleaned-up multi handle.
                multi.wakeup()
            }
            return false
        }
        if runNow { completion?() }
    }

    private func takeCommands() -> [Command] {
        inbox.withLock { inbox in
            defer { inbox.commands = [] }
            return inbox.commands
        }
    }

    private func didExit() {
        let callbacks = inbox.withLock { inbox in
            inbox.exited = true
            defer { inbox.onExit = [] }
            return inbox.onExit
        }
        for callback in callbacks { callback() }
    }

    /// State owned by the driver thread alone.
    private final class DriverLoop: @unchecked Sendable {
        let multi: CurlMulti
        let settings: TransportSettings
        var transfers: [Int: CurlEasy] = [:]

        init(multi: CurlMulti, settings: TransportSettings) {
            self.multi = multi
            self.settings = settings
        }

        func run(takeCommands: () -> [Command]) {
            while true {
                for command in takeCommands() {
                    switch command {
                    case .start(let id, let request, let delivery): start(id: id, request, delivery)
                    case .cancel(let id): end(id, nil, reason: .cancelled)
                    case .shutdown:
                        for id in Array(transfers.keys) { end(id, nil, reason: .shutdown) }
                        return
                    }
                }
                multi.perform()
                while let (id, result) = multi.nextFinished() { end(id, result) }
                multi.poll(timeoutMilliseconds: 1000)
            }
        }

        private func start(id: Int, _ request: HTTPRequest, _ delivery: TransferDelivery) {
            do {
                let easy = try CurlEasy(id: id, request: request, settings: settings, delivery: delivery)
                guard easy.attach(to: multi) else {
                    easy.finish(nil, reason: TransportError(kind: .configuration, message: "curl_multi_add_handle failed"))
                    return
                }
                transfers[id] = easy
            } catch {
                switch delivery {
                case .buffered(let done): done(.failure(error))
                case .lines(_, _, let end): end(error)
                }
            }
        }

        private func end(_ id: Int, _ result: CURLcode?, reason: TransportError? = nil) {
            guard let easy = transfers.removeValue(forKey: id) else { return }
            easy.detach(from: multi)
            easy.finish(result, reason: reason)
        }
    }
}
