// Query parameters of list and watch requests.

/// Options of a list request.
public struct ListOptions: Sendable, Equatable {
    /// Label selector, e.g. `app=echo,tier in (a,b)`.
    public var labelSelector: String?
    /// Field selector, e.g. `metadata.name=echo`.
    public var fieldSelector: String?
    /// Page size; the server returns a continue token when there is more.
    public var limit: Int?
    /// Continue token from the previous page.
    public var continueToken: String?
    /// `nil`/empty: the most recent data; `"0"`: any data the server has cached.
    public var resourceVersion: String?

    /// Creates list options.
    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continueToken: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion, !resourceVersion.isEmpty { items.append(("resourceVersion", resourceVersion)) }
        return items
    }
}

/// Options of a watch request.
public struct WatchOptions: Sendable, Equatable {
    /// Label selector.
    public var labelSelector: String?
    /// Field selector.
    public var fieldSelector: String?
    /// Start after this version; `nil` sends the current state as ADDED events first.
    public var resourceVersion: String?
    /// Ask for BOOKMARK events.
    public var allowWatchBookmarks: Bool
    /// The server ends the watch after this long.
    public var timeoutSeconds: Int?

    /// Creates watch options.
    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}
