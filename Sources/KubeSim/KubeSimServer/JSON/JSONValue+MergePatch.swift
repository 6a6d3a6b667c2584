// RFC 7386 JSON merge patch, the patch type `kubectl patch --type merge` sends.

extension JSONValue {
    /// Applies a merge patch: objects merge member by member, `null` removes a
    /// member, anything else replaces the target.
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                members.removeValue(forKey: key)
            } else {
                members[key] = (members[key] ?? .null).applyingMergePatch(value)
            }
        }
        return .object(members)
    }
}
