// The data behind ObjectStore: objects, the global resourceVersion, history and watchers.
import Foundation

/// One change in the bounded history that watches replay from.
struct HistoryEntry: Sendable {
    var resourceVersion: Int64
    var resource: ServedResource
    var key: ObjectKey
    var type: WatchEventType
    /// The object after the change (for DELETED: its final state, carrying
    /// the deletion's resourceVersion).
    var object: JSONValue
    /// The object before the change; `nil` for ADDED.
    var previous: JSONValue?
}

/// A registered watch.
struct Watcher: Sendable {
    var request: WatchRequest
    var sink: any WatchSink
}

/// Everything the store holds. Only ever touched with the store's lock held.
struct StoreState: Sendable {
    /// The one resourceVersion counter shared by every kind, like etcd's revision.
    var resourceVersion: Int64 = 0
    var objects: [ServedResource: [ObjectKey: JSONValue]] = [:]
    /// Changes in ascending resourceVersion order.
    var history: [HistoryEntry] = []
    var historyLimit: Int
    /// Every change up to and including this version has been dropped from
    /// history: a watch must start at or after it.
    var compactedThrough: Int64 = 0
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 1
    var nextClusterIP = 1
    /// Answer a too-old watch with HTTP 410 instead of an ERROR event.
    var watchGoneAsStatus = false

    init(historyLimit: Int) {
        self.historyLimit = max(1, historyLimit)
    }

    /// Stamps and stores a change, then tells every watcher that sees it.
    mutating func record(_ type: WatchEventType, _ resource: ServedResource, _ key: ObjectKey,
                         object: JSONValue, previous: JSONValue?) -> JSONValue {
        resourceVersion += 1
        var stamped = object
        stamped[path: ["metadata", "resourceVersion"]] = .string(String(resourceVersion))
        if type == .deleted {
            objects[resource]?.removeValue(forKey: key)
        } else {
            objects[resource, default: [:]][key] = stamped
        }
        let entry = HistoryEntry(resourceVersion: resourceVersion, resource: resource, key: key, type: type,
                                 object: stamped, previous: previous)
        history.append(entry)
        if history.count > historyLimit {
            let dropped = history.count - historyLimit
            compactedThrough = history[dropped - 1].resourceVersion
            history.removeFirst(dropped)
        }
        for watcher in watchers.values { deliver(entry, to: watcher) }
        return stamped
    }

    /// Sends a change to one watcher, translating it the way the API server
    /// does for selectors: entering the selection is ADDED, leaving it DELETED.
    func deliver(_ entry: HistoryEntry, to watcher: Watcher) {
        guard entry.resource == watcher.request.resource else { return }
        let nowMatches = watcher.request.matches(entry.object)
        let type: WatchEventType
        switch entry.type {
        case .added:
            guard nowMatches else { return }
            type = .added
        case .deleted:
            guard nowMatches else { return }
            type = .deleted
        default:
            let wasMatching = entry.previous.map(watcher.request.matches) ?? false
            switch (wasMatching, nowMatches) {
            case (true, true): type = .modified
            case (false, true): type = .added
            case (true, false): type = .deleted
            case (false, false): return
            }
        }
        watcher.sink.send(Self.eventLine(type, entry.object))
    }

    /// One watch event as a line of JSON.
    static func eventLine(_ type: WatchEventType, _ object: JSONValue) -> String {
        JSONValue.object(["type": .string(type.rawValue), "object": object]).serialized()
    }

    /// The bookmark a watcher of `resource` gets at the current version.
    func bookmarkLine(for resource: ServedResource) -> String {
        Self.eventLine(.bookmark, .object([
            "kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion),
            "metadata": .object(["resourceVersion": .string(String(resourceVersion)), "creationTimestamp": .null]),
        ]))
    }

    /// The objects of a resource as they were at `version`, rebuilt by
    /// undoing later history; `nil` when that history has been compacted.
    func snapshot(of resource: ServedResource, at version: Int64) -> [ObjectKey: JSONValue]? {
        guard version >= compactedThrough else { return nil }
        var result = objects[resource] ?? [:]
        for entry in history.reversed() {
            if entry.resourceVersion <= version { break }
            guard entry.resource == resource else { continue }
            if let previous = entry.previous { result[entry.key] = previous } else { result.removeValue(forKey: entry.key) }
        }
        return result
    }

    /// Hands out the next free ClusterIP from 10.96.0.0/12.
    mutating func allocateClusterIP() -> String {
        defer { nextClusterIP += 1 }
        let n = nextClusterIP + 9  // skip 10.96.0.1 (the kubernetes Service) and a few more
        return "10.96.\(n / 250).\(n % 250 + 1)"
    }
}
