// A page of a list response.

/// A list of objects (`ServiceList`, `EndpointSliceList`, ...). Items come
/// without `kind` and `apiVersion`; `"items": null` reads as `[]`.
public struct KubeList<Item: KubeResource>: Codable, Sendable, Hashable {
    /// `apiVersion` as sent (absent on list items).
    public var apiVersion: String?
    /// `kind` as sent (absent on list items).
    public var kind: String?
    /// Version the list was read at, and the continue token.
    public var metadata: ListMeta
    /// The objects.
    public var items: [Item]

    /// Creates a list.
    public init(metadata: ListMeta = ListMeta(), items: [Item] = []) {
        self.apiVersion = Item.resourceType.apiVersion
        self.kind = Item.resourceType.kind + "List"
        self.metadata = metadata
        self.items = items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}
