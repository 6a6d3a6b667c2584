// async/await front of the curl driver: buffered requests and line-streamed responses.
import Foundation
import Synchronization

/// Sends HTTP requests through one ``CurlDriver``. Cancelling the calling
/// task cancels the transfer.
final class HTTPTransport: Sendable {
    private let driver: CurlDriver

    /// Starts the transport's driver thread.
    init(settings: TransportSettings) {
        driver = CurlDriver(settings: settings)
    }

    deinit {
        driver.shutdown()
    }

    /// Sends a request and reads the whole response.
    func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let relay = CancellationRelay(driver: driver)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                let id = driver.start(request, delivery: .buffered({ result in continuation.resume(with: result) }))
                relay.started(id)
            }
        } onCancel: {
            relay.cancel()
        }
    }

    /// Sends a request and returns as soon as the response head is known; the
    /// body follows line by line.
    func streamLines(_ request: HTTPRequest) async throws -> HTTPLineStream {
        let relay = CancellationRelay(driver: driver)
        let (lines, linesContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        linesContinuation.onTermination = { _ in relay.cancel() }
        let head: HTTPResponseHead = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                let headOnce = ResumeOnce(continuation)
                let id = driver.start(request, delivery: .lines(
                    head: { headOnce.resume(.success($0)) },
                    line: { linesContinuation.yield($0) },
                    end: { failure in
                        headOnce.resume(.failure(failure ?? TransportError(kind: .curl(code: 0), message: "response ended before its head")))
                        if let failure { linesContinuation.finish(throwing: failure) } else { linesContinuation.finish() }
                    }))
                relay.started(id)
            }
        } onCancel: {
            relay.cancel()
        }
        return HTTPLineStream(head: head, lines: lines)
    }

    /// Ends every transfer and stops the driver thread.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            driver.shutdown { continuation.resume() }
        }
    }
}

/// Connects a task's cancellation to a transfer whose id may not be known yet.
private final class CancellationRelay: Sendable {
    private let state = Mutex<(id: Int?, cancelled: Bool)>((nil, false))
    private let driver: CurlDriver

    init(driver: CurlDriver) { self.driver = driver }

    func started(_ id: Int?) {
        let cancelNow = state.withLock { state in
            state.id = id
            return state.cancelled
        }
        if cancelNow, let id { driver.cancel(id) }
    }

    func cancel() {
        let id = state.withLock { state in
            state.cancelled = true
            return state.id
        }
        if let id { driver.cancel(id) }
    }
}

/// Resumes a continuation the first time only.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T, any Error>) {
        let pending = continuation.withLock { value in
            defer { value = nil }
            return value
        }
        pending?.resume(with: result)
    }
}
