// Reads: get, and list with selectors, resourceVersion and limit/continue pagination.
import Foundation

/// The parameters of a list call.
public struct ListRequest: Sendable {
    /// The resource listed.
    public var resource: ServedResource
    /// Only this namespace; `nil` for all.
    public var namespace: String?
    /// Label selector.
    public var labelSelector: LabelSelector?
    /// Field selector.
    public var fieldSelector: FieldSelector?
    /// Page size; `nil` or 0 for everything.
    public var limit: Int?
    /// Continue token of the previous page.
    public var continueToken: String?
    /// `resourceVersion` parameter.
    public var resourceVersion: String?
    /// `resourceVersionMatch` parameter (`Exact` or `NotOlderThan`).
    public var resourceVersionMatch: String?

    /// Creates a list request.
    public init(resource: ServedResource, namespace: String? = nil, labelSelector: LabelSelector? = nil,
                fieldSelector: FieldSelector? = nil, limit: Int? = nil, continueToken: String? = nil,
                resourceVersion: String? = nil, resourceVersionMatch: String? = nil) {
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }
}

extension ObjectStore {
    /// Reads one object.
    public func get(_ resource: ServedResource, namespace: String?, name: String) throws(APIError) -> JSONValue {
        let key = ObjectKey(namespace: resource.isNamespaced ? namespace ?? "" : "", name: name)
        guard let object = state.withLock({ $0.objects[resource]?[key] }) else { throw APIError.notFound(resource, name) }
        return object
    }

    /// Lists objects as a `<Kind>List`, items without `kind`/`apiVersion` as
    /// the API sends them. Paging follows the API: every page of one list is
    /// served from the same resourceVersion, and a continue token whose
    /// version has been compacted away answers 410 Expired.
    public func list(_ request: ListRequest) throws(APIError) -> JSONValue {
        try state.withLock { state throws(APIError) in
            var version = state.resourceVersion
            var startAfter: ObjectKey?
            if let token = request.continueToken, !token.isEmpty {
                let (tokenVersion, lastKey) = try Self.decodeContinue(token)
                version = tokenVersion
                startAfter = lastKey
            } else if let requested = request.resourceVersion, !requested.isEmpty, requested != "0" {
                guard let number = Int64(requested) else { throw APIError.badRequest("invalid resourceVersion '\(requested)'") }
                if number > state.resourceVersion {
                    throw APIError(code: 504, reason: "Timeout", message: "Too large resource version: \(number), current resource version: \(state.resourceVersion)",
                                   details: .object(["retryAfterSeconds": .int(1)]), retryAfterSeconds: 1)
                }
                if request.resourceVersionMatch == "Exact" { version = number }
            }
            guard let objects = state.snapshot(of: request.resource, at: version) else {
                throw request.continueToken != nil
                    ? APIError.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
                    : APIError.expired("too old resource version: \(version) (\(state.compactedThrough + 1))")
            }
            let watchFilter = WatchRequest(resource: request.resource, namespace: request.namespace,
                                           labelSelector: request.labelSelector, fieldSelector: request.fieldSelector)
            var matching = objects.filter { key, object in
                (startAfter.map { key > $0 } ?? true) && watchFilter.matches(object)
            }.sorted { $0.key < $1.key }
            var metadata: [String: JSONValue] = ["resourceVersion": .string(String(version))]
            if let limit = request.limit, limit > 0, matching.count > limit {
                let remaining = matching.count - limit
                matching = Array(matching.prefix(limit))
                metadata["continue"] = .string(Self.encodeContinue(version: version, after: matching.last!.key))
                if request.labelSelector == nil && request.fieldSelector == nil {
                    metadata["remainingItemCount"] = .int(Int64(remaining))
                }
            }
            let items: [JSONValue] = matching.map { _, object in
                var item = object
                item["kind"] = nil
                item["apiVersion"] = nil
                return item
            }
            return .object([
                "kind": .string(request.resource.listKind), "apiVersion": .string(request.resource.apiVersion),
                "metadata": .object(metadata), "items": .array(items),
            ])
        }
    }

    /// The token format of the real API: base64 of `{"v","rv","start"}`.
    static func encodeContinue(version: Int64, after key: ObjectKey) -> String {
        let start = key.namespace.isEmpty ? key.name : "\(key.namespace)/\(key.name)"
        let token: JSONValue = .object(["v": .string("meta.k8s.io/v1"), "rv": .int(version), "start": .string(start + "\u{0}")])
        return Data(token.serialized().utf8).base64EncodedString()
    }

    static func decodeContinue(_ token: String) throws(APIError) -> (Int64, ObjectKey) {
        guard let data = Data(base64Encoded: token), let value = try? JSONValue.parse(data),
              case .int(let version) = value["rv"] ?? .null, let start = value["start"]?.stringValue else {
            throw APIError.badRequest("continue key is not valid: illegal base64 data or malformed token")
        }
        let trimmed = start.hasSuffix("\u{0}") ? String(start.dropLast()) : start
        let parts = trimmed.split(separator: "/", maxSplits: 1).map(String.init)
        let key = parts.count == 2 ? ObjectKey(namespace: parts[0], name: parts[1]) : ObjectKey(namespace: "", name: trimmed)
        return (version, key)
    }
}
