// Discovery documents: /api, /apis, /api/v1, /apis/GROUP[/VERSION] and /version.

enum Discovery {
    /// The version KubeSim claims; the API shapes it serves are those of this release.
    static let version: JSONValue = .object([
        "major": .string("1"), "minor": .string("31"), "gitVersion": .string("v1.31.0-kubesim"),
        "gitCommit": .string("0000000000000000000000000000000000000000"), "gitTreeState": .string("clean"),
        "buildDate": .string("2025-01-01T00:00:00Z"), "goVersion": .string("go1.22.0"),
        "compiler": .string("gc"), "platform": .string("linux/amd64"),
    ])

    /// Answers a discovery path, or `nil` when the path is not one.
    static func respond(to path: String, serverAddress: String) -> JSONValue? {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        switch trimmed {
        case "/version": return version
        case "/api":
            return .object([
                "kind": .string("APIVersions"), "versions": .array([.string("v1")]),
                "serverAddressByClientCIDRs": .array([.object(["clientCIDR": .string("0.0.0.0/0"), "serverAddress": .string(serverAddress)])]),
            ])
        case "/apis":
            return .object(["kind": .string("APIGroupList"), "apiVersion": .string("v1"), "groups": .array(groups.map(group))])
        case "/api/v1":
            return resourceList(groupVersion: "v1")
        default:
            for name in groups {
                if trimmed == "/apis/\(name)" { return group(name).merging(["kind": .string("APIGroup"), "apiVersion": .string("v1")]) }
                if trimmed == "/apis/\(name)/v1" { return resourceList(groupVersion: "\(name)/v1") }
            }
            return nil
        }
    }

    private static var groups: [String] {
        var seen: [String] = []
        for resource in ServedResource.all where !resource.group.isEmpty && !seen.contains(resource.group) { seen.append(resource.group) }
        return seen
    }

    private static func group(_ name: String) -> JSONValue {
        let version: JSONValue = .object(["groupVersion": .string("\(name)/v1"), "version": .string("v1")])
        return .object(["name": .string(name), "versions": .array([version]), "preferredVersion": version])
    }

    private static func resourceList(groupVersion: String) -> JSONValue {
        let resources = ServedResource.all.filter { $0.apiVersion == groupVersion }.map { resource -> JSONValue in
            var entry: [String: JSONValue] = [
                "name": .string(resource.plural), "singularName": .string(resource.singular),
                "namespaced": .bool(resource.isNamespaced), "kind": .string(resource.kind),
                "verbs": .array(["create", "delete", "get", "list", "patch", "update", "watch"].map { .string($0) }),
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = .array(resource.shortNames.map { .string($0) }) }
            return .object(entry)
        }
        return .object([
            "kind": .string("APIResourceList"), "apiVersion": .string("v1"),
            "groupVersion": .string(groupVersion), "resources": .array(resources),
        ])
    }
}

extension JSONValue {
    /// This object with `extra` members added or replaced.
    func merging(_ extra: [String: JSONValue]) -> JSONValue {
        guard case .object(var members) = self else { return self }
        for (key, value) in extra { members[key] = value }
        return .object(members)
    }
}
