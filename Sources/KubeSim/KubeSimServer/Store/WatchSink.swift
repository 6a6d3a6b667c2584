// Where a watch's events go: implemented by the HTTP layer, or by tests.

/// The receiving end of one watch.
public protocol WatchSink: AnyObject, Sendable {
    /// Sends one watch event (a single line of JSON, without the newline).
    /// Called with the store's lock held, in resourceVersion order, so it
    /// must only enqueue.
    func send(_ line: String)
    /// Ends the watch: `graceful` finishes the response, otherwise the
    /// connection is dropped.
    func close(graceful: Bool)
}

/// The kind of a watch event.
public enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// What one watch asked for.
public struct WatchRequest: Sendable {
    /// The resource watched.
    public var resource: ServedResource
    /// Only this namespace; `nil` for all.
    public var namespace: String?
    /// Label selector.
    public var labelSelector: LabelSelector?
    /// Field selector.
    public var fieldSelector: FieldSelector?
    /// `resourceVersion` parameter; `nil`, "" or "0" start with the current state.
    public var resourceVersion: String?
    /// Whether to send BOOKMARK events.
    public var allowBookmarks: Bool

    /// Creates a request.
    public init(resource: ServedResource, namespace: String? = nil, labelSelector: LabelSelector? = nil,
                fieldSelector: FieldSelector? = nil, resourceVersion: String? = nil, allowBookmarks: Bool = false) {
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowBookmarks = allowBookmarks
    }

    /// Whether an object falls inside this watch.
    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object[path: ["metadata", "namespace"]]?.stringValue ?? "" != namespace { return false }
        if let labelSelector, !labelSelector.matches(object[path: ["metadata", "labels"]]?.stringMap ?? [:]) { return false }
        if let fieldSelector, !fieldSelector.matches(object) { return false }
        return true
    }
}
