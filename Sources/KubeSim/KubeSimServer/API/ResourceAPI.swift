// Resource requests: get, list, watch, create, update, patch and delete against the store.
import Foundation
import Yams

/// Turns a resource request into a store call and its response.
struct ResourceAPI {
    let store: ObjectStore

    func handle(_ request: SimRequest, path: ResourcePath, verb: String) -> SimResponse {
        do {
            return try dispatch(request, path: path, verb: verb)
        } catch {
            return .error(error)
        }
    }

    private func dispatch(_ request: SimRequest, path: ResourcePath, verb: String) throws(APIError) -> SimResponse {
        let resource = path.resource
        switch verb {
        case "get":
            return .json(status: 200, body: try store.get(resource, namespace: path.namespace, name: path.name!))
        case "list":
            let list = ListRequest(
                resource: resource, namespace: path.namespace,
                labelSelector: try labelSelector(request), fieldSelector: try fieldSelector(request),
                limit: request.query["limit"].flatMap { Int($0) }, continueToken: request.query["continue"],
                resourceVersion: request.query["resourceVersion"], resourceVersionMatch: request.query["resourceVersionMatch"])
            return .json(status: 200, body: try store.list(list))
        case "watch":
            let watch = WatchRequest(
                resource: resource, namespace: path.namespace,
                labelSelector: try labelSelector(request), fieldSelector: try fieldSelector(request),
                resourceVersion: request.query["resourceVersion"],
                allowBookmarks: request.query["allowWatchBookmarks"] == "true")
            // Without timeoutSeconds the real server picks 30-60 minutes.
            let timeout = request.query["timeoutSeconds"].flatMap { Int($0) } ?? Int.random(in: 1800...3600)
            return .watch(watch, timeoutSeconds: max(1, timeout))
        case "create":
            return .json(status: 201, body: try store.create(resource, namespace: path.namespace, object: try body(request)))
        case "update":
            return .json(status: 200, body: try store.update(resource, namespace: path.namespace, name: path.name!, object: try body(request)))
        case "patch":
            let type = request.header("Content-Type") ?? ""
            guard type.hasPrefix("application/merge-patch+json") || type.hasPrefix("application/strategic-merge-patch+json") else {
                throw APIError(code: 415, reason: "UnsupportedMediaType",
                               message: "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (applied as a merge patch)")
            }
            return .json(status: 200, body: try store.patch(resource, namespace: path.namespace, name: path.name!, mergePatch: try body(request)))
        case "delete":
            return .json(status: 200, body: try store.delete(resource, namespace: path.namespace, name: path.name!))
        default:
            throw APIError.methodNotAllowed(request.method)
        }
    }

    private func labelSelector(_ request: SimRequest) throws(APIError) -> LabelSelector? {
        guard let text = request.query["labelSelector"], !text.isEmpty else { return nil }
        do { return try LabelSelector(parsing: text) } catch { throw APIError.badRequest(error.message) }
    }

    private func fieldSelector(_ request: SimRequest) throws(APIError) -> FieldSelector? {
        guard let text = request.query["fieldSelector"], !text.isEmpty else { return nil }
        do { return try FieldSelector(parsing: text) } catch { throw APIError.badRequest(error.message) }
    }

    /// The request body as JSON (or YAML, which kubectl may send).
    private func body(_ request: SimRequest) throws(APIError) -> JSONValue {
        if let value = try? JSONValue.parse(request.body) { return value }
        if let text = String(data: request.body, encoding: .utf8),
           let documents = try? JSONValue.documents(fromYAML: text), documents.count == 1 {
            return documents[0]
        }
        throw APIError.badRequest("the body of the request could not be decoded as JSON")
    }
}
