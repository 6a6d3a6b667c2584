// core/v1 Event: what the controller records on Services it cannot use.

/// A `v1` Event, reported on an involved object.
public struct Event: KubeResource {
    /// Where this kind is served.
    public static let resourceType = ResourceType(group: "", version: "v1", kind: "Event", plural: "events", isNamespaced: true)

    /// `apiVersion` as sent (absent on list items).
    public var apiVersion: String?
    /// `kind` as sent (absent on list items).
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The object the event is about.
    public var involvedObject: ObjectReference
    /// Machine-readable reason in UpperCamelCase, e.g. `InvalidAnnotation`.
    public var reason: String?
    /// Human-readable description.
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    /// The component that reported it.
    public var source: EventSource?
    /// When this event was first seen.
    public var firstTimestamp: KubeTime?
    /// When it was most recently seen.
    public var lastTimestamp: KubeTime?
    /// How many times it has occurred.
    public var count: Int?
    /// Precise time of the first occurrence (MicroTime); often `null`.
    public var eventTime: KubeTime?
    /// Controller that emitted it, e.g. `portico.dev/controller`.
    public var reportingComponent: String?
    /// Instance of that controller.
    public var reportingInstance: String?
    /// What was done or failed, e.g. `Expose`.
    public var action: String?

    /// Creates an event.
    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil,
                type: String? = "Normal", source: EventSource? = nil, firstTimestamp: KubeTime? = nil,
                lastTimestamp: KubeTime? = nil, count: Int? = nil) {
        self.apiVersion = Self.resourceType.apiVersion
        self.kind = Self.resourceType.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = source
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.count = count
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        involvedObject = try container.decodeIfPresent(ObjectReference.self, forKey: .involvedObject) ?? ObjectReference()
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        source = try container.decodeIfPresent(EventSource.self, forKey: .source)
        firstTimestamp = try container.decodeIfPresent(KubeTime.self, forKey: .firstTimestamp)
        lastTimestamp = try container.decodeIfPresent(KubeTime.self, forKey: .lastTimestamp)
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        eventTime = try container.decodeIfPresent(KubeTime.self, forKey: .eventTime)
        reportingComponent = try container.decodeIfPresent(String.self, forKey: .reportingComponent)
        reportingInstance = try container.decodeIfPresent(String.self, forKey: .reportingInstance)
        action = try container.decodeIfPresent(String.self, forKey: .action)
    }
}

/// The component that reported an event.
public struct EventSource: Codable, Sendable, Hashable {
    /// Component name.
    public var component: String?
    /// Node name, when the reporter is node-local.
    public var host: String?

    /// Creates a source.
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}
