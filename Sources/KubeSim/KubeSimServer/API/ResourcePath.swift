// Parsing resource URLs (/api/v1/..., /apis/group/version/...) into resource, namespace and name.

/// A request path that names a resource collection or object.
struct ResourcePath: Equatable {
    var resource: ServedResource
    var namespace: String?
    var name: String?

    /// Parses `/api/v1[/namespaces/NS]/PLURAL[/NAME]` and the `/apis/GROUP/VERSION/...`
    /// equivalent; `nil` when the path is not a served resource.
    init?(_ path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let group: String
        let version: String
        if segments.first == "api", segments.count >= 3 {
            group = ""
            version = segments[1]
            segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 4 {
            group = segments[1]
            version = segments[2]
            segments.removeFirst(3)
        } else {
            return nil
        }
        var namespace: String?
        // `namespaces/NS/PLURAL...` scopes a namespaced resource; plain
        // `namespaces[/NAME]` is the Namespace resource itself.
        if segments.count >= 3, segments[0] == "namespaces" {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let plural = segments.first,
              let resource = ServedResource.find(group: group, version: version, plural: plural),
              segments.count <= 2 else { return nil }
        if namespace != nil && !resource.isNamespaced { return nil }
        self.resource = resource
        self.namespace = namespace
        self.name = segments.count == 2 ? segments[1] : nil
    }

    /// The API verb of a method on this path.
    func verb(method: String, query: [String: String]) -> String {
        switch (method, name) {
        case ("GET", nil): ["true", "1"].contains(query["watch"] ?? "") ? "watch" : "list"
        case ("GET", _): "get"
        case ("POST", nil): "create"
        case ("PUT", _): "update"
        case ("PATCH", _): "patch"
        case ("DELETE", _?): "delete"
        case ("DELETE", nil): "deletecollection"
        default: "unknown"
        }
    }
}
