// Typed REST calls against the Kubernetes API over the libcurl transport.
import Foundation
import Logging

/// A client of one API server. All requests and watches share one libcurl
/// multi handle driven by one thread; the client is safe to use from any task.
///
/// ```swift
/// let client = KubeClient(config: try .automatic())
/// let services = try await client.list(Service.self, namespace: "edge")
/// for try await event in try await client.watch(EndpointSlice.self, options: WatchOptions(resourceVersion: services.metadata.resourceVersion)) { ... }
/// await client.shutdown()
/// ```
public final class KubeClient: Sendable {
    /// The configuration this client was made with.
    public let config: KubeConfig
    private let transport: HTTPTransport
    private let tokenFile: TokenFile?
    private let logger: Logger

    /// Creates a client and starts its transport thread.
    public init(config: KubeConfig, logger: Logger = Logger(label: "portico.kubeclient")) {
        self.config = config
        self.logger = logger
        self.transport = HTTPTransport(settings: config.transportSettings)
        if case .tokenFile(let path) = config.credentials { tokenFile = TokenFile(path: path) } else { tokenFile = nil }
    }

    /// Ends every request and watch and stops the transport thread. Later
    /// calls fail with ``TransportError/Kind/shutdown``.
    public func shutdown() async {
        await transport.shutdown()
    }

    // MARK: Reads

    /// Reads one object. Namespace defaults to the configuration's for namespaced kinds.
    public func get<R: KubeResource>(_ type: R.Type, name: String, namespace: String? = nil) async throws -> R {
        let path = R.resourceType.path(namespace: resolvedNamespace(R.self, namespace), name: name)
        return try await send("GET", path, as: R.self)
    }

    /// Reads one page of a collection; `namespace` `nil` lists across all namespaces.
    public func list<R: KubeResource>(_ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> KubeList<R> {
        let path = R.resourceType.path(namespace: namespace)
        return try await send("GET", path, query: options.queryItems, as: KubeList<R>.self)
    }

    /// Reads a whole collection, following continue tokens page by page.
    public func listAll<R: KubeResource>(_ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> KubeList<R> {
        var options = options
        var result = try await list(R.self, namespace: namespace, options: options)
        while let token = result.metadata.continue, !token.isEmpty {
            options.continueToken = token
            let page = try await list(R.self, namespace: namespace, options: options)
            result.items += page.items
            result.metadata.continue = page.metadata.continue
        }
        return result
    }

    /// Opens a watch. Returns once the server has accepted it; a refusal
    /// (e.g. `410 Gone`, `429`) throws ``KubeAPIError``.
    public func watch<R: KubeResource>(_ type: R.Type, namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws -> WatchEventStream<R> {
        var request = try makeRequest("GET", R.resourceType.path(namespace: namespace), query: options.queryItems, body: nil)
        // The server ends the watch at timeoutSeconds; the client bound only
        // catches a server that never does.
        request.timeout = options.timeoutSeconds.map { .seconds($0 + 60) }
        let response = try await transport.streamLines(request)
        guard (200..<300).contains(response.head.status) else {
            var body = Data()
            for try await line in response.lines { body.append(line); body.append(UInt8(ascii: "\n")) }
            throw KubeAPIError.from(code: response.head.status, body: body, retryAfter: response.head.retryAfter)
        }
        return WatchEventStream(lines: response.lines)
    }

    // MARK: Writes

    /// Creates an object (e.g. an Event) in its namespace and returns what the server stored.
    public func create<R: KubeResource>(_ object: R, namespace: String? = nil) async throws -> R {
        let path = R.resourceType.path(namespace: resolvedNamespace(R.self, namespace ?? object.metadata.namespace))
        return try await send("POST", path, body: try encode(object), as: R.self)
    }

    /// Replaces an object (PUT). Its `metadata.resourceVersion` makes this a
    /// compare-and-swap: a stale one fails with ``KubeAPIError/isConflict``.
    public func update<R: KubeResource>(_ object: R) async throws -> R {
        let name = object.metadata.name ?? ""
        let path = R.resourceType.path(namespace: resolvedNamespace(R.self, object.metadata.namespace), name: name)
        return try await send("PUT", path, body: try encode(object), as: R.self)
    }

    /// Applies a JSON merge patch (RFC 7386) to an object.
    public func patch<R: KubeResource>(_ type: R.Type, name: String, namespace: String? = nil, mergePatch: Data) async throws -> R {
        let path = R.resourceType.path(namespace: resolvedNamespace(R.self, namespace), name: name)
        return try await send("PATCH", path, body: mergePatch, contentType: "application/merge-patch+json", as: R.self)
    }

    /// Deletes an object.
    public func delete<R: KubeResource>(_ type: R.Type, name: String, namespace: String? = nil) async throws {
        let path = R.resourceType.path(namespace: resolvedNamespace(R.self, namespace), name: name)
        _ = try await send("DELETE", path, as: Status.self, allowAnyBody: true)
    }

    // MARK: Plumbing

    private func resolvedNamespace<R: KubeResource>(_ type: R.Type, _ namespace: String?) -> String? {
        R.resourceType.isNamespaced ? (namespace ?? config.namespace) : nil
    }

    private func encode<R: Encodable>(_ object: R) throws -> Data {
        try JSONEncoder().encode(object)
    }

    private func send<T: Decodable>(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil,
        contentType: String = "application/json", as type: T.Type, allowAnyBody: Bool = false
    ) async throws -> T {
        var request = try makeRequest(method, path, query: query, body: body, contentType: contentType)
        request.timeout = config.requestTimeout
        let response = try await transport.perform(request)
        logger.trace("\(method) \(path) -> \(response.head.status)")
        guard (200..<300).contains(response.head.status) else {
            throw KubeAPIError.from(code: response.head.status, body: response.body, retryAfter: response.head.retryAfter)
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            if allowAnyBody, let empty = try? JSONDecoder().decode(T.self, from: Data("{}".utf8)) { return empty }
            throw KubeDecodingError(type: "\(T.self)", problem: "\(error)")
        }
    }

    private func makeRequest(_ method: String, _ path: String, query: [(String, String)], body: Data?,
                             contentType: String = "application/json") throws -> HTTPRequest {
        var url = config.server + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var headers: [(name: String, value: String)] = [
            ("Accept", "application/json"),
            ("User-Agent", "portico-kubeclient/1.0"),
        ]
        if body != nil { headers.append(("Content-Type", contentType)) }
        switch config.credentials {
        case .none: break
        case .token(let token): headers.append(("Authorization", "Bearer \(token)"))
        case .tokenFile: if let tokenFile { headers.append(("Authorization", "Bearer \(try tokenFile.token())")) }
        case .basic(let username, let password):
            headers.append(("Authorization", "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"))
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: nil)
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    private static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
