// The events of one watch request, decoded as they stream in.
import Foundation

/// An open watch. Iterate it for ``WatchEvent``s; it ends when the server
/// ends the watch (its `timeoutSeconds`, a restart) and throws when the
/// connection fails or a line is not a watch event. Stopping the iteration
/// (or cancelling the task) closes the connection.
public struct WatchEventStream<Object: KubeResource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>

    let lines: AsyncThrowingStream<Data, any Error>

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: AsyncThrowingStream<Data, any Error>.AsyncIterator
        let decoder = JSONDecoder()

        /// The next event; `nil` when the server ended the watch.
        public mutating func next() async throws -> WatchEvent<Object>? {
            guard let line = try await lines.next() else { return nil }
            do {
                return try decoder.decode(WatchEvent<Object>.self, from: line)
            } catch {
                throw KubeDecodingError(type: "WatchEvent<\(Object.self)>", problem: "\(error)")
            }
        }
    }

    /// Starts iterating; a watch can be iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lines: lines.makeAsyncIterator())
    }
}
