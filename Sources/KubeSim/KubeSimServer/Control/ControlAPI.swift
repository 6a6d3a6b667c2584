// The /kubesim/... control API that tests and the demo use to steer KubeSim.
import Foundation

/// Endpoints under `/kubesim/` (see docs/kubesim.md):
///
/// - `GET  /kubesim/state`: resourceVersion, history, open watches, armed faults, request counts
/// - `GET|DELETE /kubesim/requests`: the request log
/// - `POST /kubesim/watches/drop[?graceful=true]`: end every watch
/// - `POST /kubesim/bookmarks`: send a BOOKMARK to every watch that allows them
/// - `POST /kubesim/compact`: forget history (older versions get 410)
/// - `POST|DELETE /kubesim/faults`: arm (`FaultRule` JSON) or clear faults
/// - `POST /kubesim/objects`: create or replace objects (JSON object, List, or YAML documents);
///   kinds KubeSim does not serve are skipped and listed
/// - `PATCH|DELETE /kubesim/objects/RESOURCE/[NAMESPACE/]NAME`: merge-patch or delete one
/// - `PUT  /kubesim/tokens`: `{"tokens": [...]}` replaces the accepted bearer tokens
/// - `PUT  /kubesim/config`: `{"watchGoneAs": "status"|"event", "historyLimit": N}`
struct ControlAPI {
    let core: SimulatorCore

    func handle(_ request: SimRequest) -> SimResponse {
        let segments = request.path.split(separator: "/").map(String.init).dropFirst()
        do {
            return try route(request, Array(segments))
        } catch let error as APIError {
            return .error(error)
        } catch {
            return .error(.badRequest("\(error)"))
        }
    }

    private func route(_ request: SimRequest, _ segments: [String]) throws -> SimResponse {
        let store = core.store
        switch (request.method, segments.first ?? "", segments.count) {
        case ("GET", "healthz", 1):
            return .text(status: 200, body: "ok")
        case ("GET", "state", 1):
            return .json(status: 200, body: state())
        case ("GET", "requests", 1):
            return .json(status: 200, body: try JSONValue.parse(JSONEncoder().encode(core.log.all)))
        case ("DELETE", "requests", 1):
            core.log.clear()
            return ok()
        case ("POST", "watches", 2) where segments[1] == "drop":
            return ok(["dropped": .int(Int64(store.dropWatches(graceful: request.query["graceful"] == "true")))])
        case ("POST", "bookmarks", 1):
            store.sendBookmarks()
            return ok(["resourceVersion": .string(String(store.resourceVersion))])
        case ("POST", "compact", 1):
            return ok(["compactedThrough": .string(String(store.compact()))])
        case ("POST", "faults", 1):
            core.faults.add(try JSONDecoder().decode(FaultRule.self, from: request.body))
            return ok()
        case ("DELETE", "faults", 1):
            core.faults.clear()
            return ok()
        case ("POST", "objects", 1):
            var applied: [JSONValue] = []
            var skipped: [JSONValue] = []
            for object in try objects(in: request.body) {
                let apiVersion = object["apiVersion"]?.stringValue ?? "?"
                let kind = object["kind"]?.stringValue ?? "?"
                guard ServedResource.find(apiVersion: apiVersion, kind: kind) != nil else {
                    let namespace = object[path: ["metadata", "namespace"]]?.stringValue.map { "\($0)/" } ?? ""
                    let name = object[path: ["metadata", "name"]]?.stringValue ?? "?"
                    skipped.append(.string("\(apiVersion) \(kind) \(namespace)\(name): not served by KubeSim"))
                    continue
                }
                applied.append(try store.apply(object))
            }
            return ok(["applied": .array(applied), "skipped": .array(skipped)])
        case ("PATCH", "objects", 3...4), ("DELETE", "objects", 3...4):
            guard let resource = ServedResource.find(name: segments[1]) else {
                throw APIError.badRequest("unknown resource '\(segments[1])'")
            }
            let namespace = segments.count == 4 ? segments[2] : nil
            let name = segments[segments.count - 1]
            if request.method == "DELETE" { return .json(status: 200, body: try store.delete(resource, namespace: namespace, name: name)) }
            return .json(status: 200, body: try store.patch(resource, namespace: namespace, name: name, mergePatch: try JSONValue.parse(request.body)))
        case ("PUT", "tokens", 1):
            let tokens = try JSONValue.parse(request.body)["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
            core.tokens.withLock { $0 = Set(tokens) }
            return ok()
        case ("PUT", "config", 1):
            let config = try JSONValue.parse(request.body)
            if let mode = config["watchGoneAs"]?.stringValue { store.setWatchGoneAsStatus(mode == "status") }
            if case .int(let limit) = config["historyLimit"] ?? .null { store.setHistoryLimit(Int(limit)) }
            return ok()
        default:
            return .error(.pathNotFound(request.path))
        }
    }

    private func state() -> JSONValue {
        var counts: [String: JSONValue] = [:]
        for entry in core.log.all {
            if case .int(let n) = counts[entry.verb] ?? .int(0) { counts[entry.verb] = .int(n + 1) }
        }
        let faults = (try? JSONValue.parse(JSONEncoder().encode(core.faults.armed))) ?? .array([])
        return .object([
            "resourceVersion": .string(String(core.store.resourceVersion)),
            "compactedThrough": .string(String(core.store.compactedThrough)),
            "historySize": .int(Int64(core.store.historyCount)),
            "activeWatches": .int(Int64(core.store.activeWatchCount)),
            "faults": faults,
            "requestCounts": .object(counts),
        ])
    }

    /// One object, the items of a List, or every YAML document.
    private func objects(in body: Data) throws -> [JSONValue] {
        let documents: [JSONValue]
        if let json = try? JSONValue.parse(body) {
            documents = [json]
        } else {
            documents = try JSONValue.documents(fromYAML: String(decoding: body, as: UTF8.self))
        }
        return documents.flatMap { document -> [JSONValue] in
            if let items = document["items"]?.arrayValue, document["kind"]?.stringValue?.hasSuffix("List") ?? false { return items }
            return [document]
        }
    }

    private func ok(_ extra: [String: JSONValue] = [:]) -> SimResponse {
        .json(status: 200, body: JSONValue.object(["status": .string("ok")]).merging(extra))
    }
}
