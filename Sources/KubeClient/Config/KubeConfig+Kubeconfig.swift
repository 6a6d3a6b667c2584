// Resolving a kubeconfig file (contexts, clusters, users) into a KubeConfig.
import Foundation
import Yams

extension KubeConfig {
    /// Reads a kubeconfig file and resolves `context` (or its
    /// `current-context`). Relative file paths inside it are taken relative
    /// to the file's directory, as kubectl does. Throws ``KubeConfigError``
    /// naming the field when something is missing or malformed.
    public static func load(path: String, context: String? = nil) throws -> KubeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeConfigError(source: "kubeconfig \(path)", field: "(file)", problem: "cannot be read")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(yaml: String(decoding: data, as: UTF8.self), source: "kubeconfig \(path)",
                         baseDirectory: directory.isEmpty ? "." : directory, context: context)
    }

    /// Resolves kubeconfig YAML held in memory; `source` names it in errors.
    public static func parse(
        yaml: String, source: String = "kubeconfig", baseDirectory: String = ".", context: String? = nil
    ) throws -> KubeConfig {
        try KubeconfigResolver(source: source, baseDirectory: baseDirectory).resolve(yaml: yaml, context: context)
    }
}

/// Validates one kubeconfig document field by field.
private struct KubeconfigResolver {
    let source: String
    let baseDirectory: String

    func fail(_ field: String, _ problem: String) -> KubeConfigError {
        KubeConfigError(source: source, field: field, problem: problem)
    }

    func resolve(yaml: String, context requested: String?) throws -> KubeConfig {
        let file = try decode(yaml)
        let contextName = requested ?? file.currentContext ?? ""
        guard !contextName.isEmpty else {
            throw fail("current-context", "not set and no context was requested")
        }
        let contextField = "contexts[name=\(contextName)]"
        guard let named = file.contexts?.first(where: { $0.name == contextName }) else {
            throw fail(requested == nil ? "current-context" : "contexts", "no context named '\(contextName)'")
        }
        guard let context = named.value else { throw fail("\(contextField).context", "missing") }
        guard let clusterName = context.cluster, !clusterName.isEmpty else {
            throw fail("\(contextField).context.cluster", "missing")
        }
        guard let clusterEntry = file.clusters?.first(where: { $0.name == clusterName }) else {
            throw fail("\(contextField).context.cluster", "no cluster named '\(clusterName)' in clusters")
        }
        let clusterField = "clusters[name=\(clusterName)].cluster"
        guard let cluster = clusterEntry.value else { throw fail(clusterField, "missing") }
        var config = try resolveCluster(cluster, field: clusterField)
        if let userName = context.user, !userName.isEmpty {
            guard let userEntry = file.users?.first(where: { $0.name == userName }) else {
                throw fail("\(contextField).context.user", "no user named '\(userName)' in users")
            }
            let userField = "users[name=\(userName)].user"
            guard let user = userEntry.value else { throw fail(userField, "missing") }
            try resolveUser(user, field: userField, into: &config)
        }
        if let namespace = context.namespace, !namespace.isEmpty { config.namespace = namespace }
        return config
    }

    private func decode(_ yaml: String) throws -> KubeconfigFile {
        do {
            return try YAMLDecoder().decode(KubeconfigFile.self, from: yaml)
        } catch let error as DecodingError {
            throw fail(Self.path(of: error), Self.problem(of: error))
        } catch {
            throw fail("(document)", "not valid YAML: \(error)")
        }
    }

    private func resolveCluster(_ cluster: KubeconfigFile.Cluster, field: String) throws -> KubeConfig {
        guard let server = cluster.server, !server.isEmpty else { throw fail("\(field).server", "missing") }
        guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme),
              url.host != nil else {
            throw fail("\(field).server", "'\(server)' is not an http(s) URL")
        }
        var config = KubeConfig(server: server)
        config.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        if let proxy = cluster.proxyURL, !proxy.isEmpty {
            guard let url = URL(string: proxy), url.scheme != nil, url.host != nil else {
                throw fail("\(field).proxy-url", "'\(proxy)' is not a URL")
            }
            config.proxyURL = proxy
        }
        config.certificateAuthority = try pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                                              field: field, dataKey: "certificate-authority-data", fileKey: "certificate-authority")
        if config.insecureSkipTLSVerify && config.certificateAuthority != nil {
            // kubectl refuses this combination too: it is almost always a mistake.
            throw fail("\(field).insecure-skip-tls-verify", "cannot be true together with a certificate authority")
        }
        return config
    }

    private func resolveUser(_ user: KubeconfigFile.User, field: String, into config: inout KubeConfig) throws {
        config.clientCertificate = try pem(data: user.clientCertificateData, file: user.clientCertificate,
                                           field: field, dataKey: "client-certificate-data", fileKey: "client-certificate")
        config.clientKey = try pem(data: user.clientKeyData, file: user.clientKey,
                                   field: field, dataKey: "client-key-data", fileKey: "client-key")
        if config.clientCertificate != nil && config.clientKey == nil {
            throw fail("\(field).client-key-data", "required when a client certificate is set")
        }
        if config.clientKey != nil && config.clientCertificate == nil {
            throw fail("\(field).client-certificate-data", "required when a client key is set")
        }
        if let token = user.token, !token.isEmpty {
            config.credentials = .token(token)
        } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            let path = absolute(tokenFile)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail("\(field).tokenFile", "'\(path)' is missing or unreadable")
            }
            config.credentials = .tokenFile(path)
        } else if let username = user.username, !username.isEmpty {
            config.credentials = .basic(username: username, password: user.password ?? "")
        } else if config.clientCertificate == nil {
            if user.exec != nil { throw fail("\(field).exec", "exec credential plugins are not supported; use a token or client certificate") }
            if user.authProvider != nil { throw fail("\(field).auth-provider", "auth providers are not supported; use a token or client certificate") }
        }
    }

    private func pem(data: String?, file: String?, field: String, dataKey: String, fileKey: String) throws -> PEMSource? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw fail("\(field).\(dataKey)", "not valid base64")
            }
            guard String(decoding: decoded, as: UTF8.self).contains("-----BEGIN") else {
                throw fail("\(field).\(dataKey)", "does not contain PEM data")
            }
            return .data(decoded)
        }
        if let file, !file.isEmpty {
            let path = absolute(file)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail("\(field).\(fileKey)", "'\(path)' is missing or unreadable")
            }
            return .file(path)
        }
        return nil
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory + "/" + path
    }

    private static func path(of error: DecodingError) -> String {
        let codingPath: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            codingPath = context.codingPath
        case .keyNotFound(let key, let context):
            codingPath = context.codingPath + [key]
        @unknown default:
            codingPath = []
        }
        var path = ""
        for key in codingPath {
            if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
        }
        return path.isEmpty ? "(document)" : path
    }

    private static func problem(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected a value of type \(type)"
        case .valueNotFound(let type, _): "expected a value of type \(type), found null"
        case .keyNotFound: "missing"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "invalid"
        }
    }
}
