// Watches: registration with replay from history, bookmarks, dropping and compaction.
import Foundation

extension ObjectStore {
    /// Starts a watch. Following the API: without a resourceVersion (or with
    /// "0") the current objects come first as ADDED events; with one, every
    /// change after it is replayed from history, and if history no longer
    /// reaches back that far the watch gets a 410 `Expired` ERROR event and
    /// ends (or, with ``setWatchGoneAsStatus(_:)``, this throws 410).
    /// Returns an id for ``stopWatch(_:)``, or `nil` when the watch already ended.
    public func startWatch(_ request: WatchRequest, sink: any WatchSink) throws(APIError) -> Int? {
        try state.withLock { state throws(APIError) in
            let watcher = Watcher(request: request, sink: sink)
            if let requested = request.resourceVersion, !requested.isEmpty, requested != "0" {
                guard let version = Int64(requested) else { throw APIError.badRequest("invalid resourceVersion '\(requested)'") }
                if version < state.compactedThrough {
                    let gone = APIError.expired("too old resource version: \(version) (\(state.compactedThrough + 1))")
                    if state.watchGoneAsStatus { throw gone }
                    sink.send(StoreState.eventLine(.error, gone.status))
                    sink.close(graceful: true)
                    return nil
                }
                for entry in state.history where entry.resourceVersion > version {
                    state.deliver(entry, to: watcher)
                }
            } else {
                let current = (state.objects[request.resource] ?? [:]).sorted { $0.key < $1.key }
                for (_, object) in current where request.matches(object) {
                    sink.send(StoreState.eventLine(.added, object))
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = watcher
            return id
        }
    }

    /// Forgets a watch (its connection closed).
    public func stopWatch(_ id: Int) {
        state.withLock { _ = $0.watchers.removeValue(forKey: id) }
    }

    /// Number of open watches.
    public var activeWatchCount: Int { state.withLock { $0.watchers.count } }

    /// Sends a BOOKMARK at the current resourceVersion to every watch that
    /// asked for bookmarks. Done under the lock, so it never overtakes an event.
    public func sendBookmarks() {
        state.withLock { state in
            for watcher in state.watchers.values where watcher.request.allowBookmarks {
                watcher.sink.send(state.bookmarkLine(for: watcher.request.resource))
            }
        }
    }

    /// Ends every watch, as an API server restart would. `graceful` ends
    /// the responses properly; otherwise connections are cut.
    @discardableResult
    public func dropWatches(graceful: Bool = false) -> Int {
        let dropped = state.withLock { state in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in dropped { watcher.sink.close(graceful: graceful) }
        return dropped.count
    }

    /// Forgets all history, as etcd compaction does: a watch or continue
    /// token from before the current version now gets 410 Gone.
    @discardableResult
    public func compact() -> Int64 {
        state.withLock { state in
            state.history = []
            state.compactedThrough = state.resourceVersion
            return state.compactedThrough
        }
    }

    /// Chooses how a too-old watch is refused: an HTTP 410 response (`true`)
    /// or a 200 response carrying an ERROR event (`false`, the watch cache's way).
    public func setWatchGoneAsStatus(_ asStatus: Bool) {
        state.withLock { $0.watchGoneAsStatus = asStatus }
    }

    /// Changes how many changes history keeps.
    public func setHistoryLimit(_ limit: Int) {
        state.withLock { $0.historyLimit = max(1, limit) }
    }
}
