// Loads objects from YAML/JSON manifests (files or directories) into the store at start.
import Foundation

/// Reads `kubectl apply -f`-style manifests: multi-document YAML or JSON,
/// `List` kinds expanded, directories read file by file (not recursively,
/// like `kubectl apply -f DIR`). Kinds KubeSim does not serve are skipped.
public struct ManifestLoader: Sendable {
    /// What a load did.
    public struct Report: Sendable {
        /// `Kind namespace/name` of every object stored.
        public var loaded: [String] = []
        /// Objects skipped, with why.
        public var skipped: [String] = []
    }

    /// A manifest that cannot be read.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        /// The file or directory.
        public var path: String
        /// What is wrong with it.
        public var problem: String
        public var description: String { "manifest \(path): \(problem)" }
    }

    /// Creates a loader.
    public init() {}

    /// Loads every manifest under `paths` into `store`; Namespaces go first so
    /// the objects in them can be created.
    public func load(_ paths: [String], into store: ObjectStore) throws -> Report {
        var documents: [(path: String, object: JSONValue)] = []
        for path in paths {
            for file in try files(at: path) {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw LoadError(path: file, problem: "cannot be read")
                }
                do {
                    for document in try JSONValue.documents(fromYAML: text) {
                        if let items = document["items"]?.arrayValue, document["kind"]?.stringValue?.hasSuffix("List") ?? false {
                            documents += items.map { (file, $0) }
                        } else {
                            documents.append((file, document))
                        }
                    }
                } catch {
                    throw LoadError(path: file, problem: "not valid YAML: \(error)")
                }
            }
        }
        documents.sort { ($0.object["kind"]?.stringValue == "Namespace" ? 0 : 1) < ($1.object["kind"]?.stringValue == "Namespace" ? 0 : 1) }
        var report = Report()
        for (file, object) in documents {
            let kind = object["kind"]?.stringValue ?? "?"
            let name = object[path: ["metadata", "name"]]?.stringValue ?? "?"
            let namespace = object[path: ["metadata", "namespace"]]?.stringValue
            let label = "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)"
            guard let apiVersion = object["apiVersion"]?.stringValue, ServedResource.find(apiVersion: apiVersion, kind: kind) != nil else {
                report.skipped.append("\(label) (\(file)): not served by KubeSim")
                continue
            }
            do {
                try store.apply(object)
                report.loaded.append(label)
            } catch {
                throw LoadError(path: file, problem: "\(label): \(error.message)")
            }
        }
        return report
    }

    private func files(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError(path: path, problem: "does not exist")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { [".yaml", ".yml", ".json"].contains(where: $0.hasSuffix) }.sorted().map { path + "/" + $0 }
    }
}
