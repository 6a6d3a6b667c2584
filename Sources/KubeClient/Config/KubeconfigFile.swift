// The kubeconfig YAML as written by kubectl, decoded without interpretation.
import Foundation

/// The raw kubeconfig document. Every field is optional here so that a
/// missing one is reported by ``KubeConfig/load(path:context:)`` with its
/// full path rather than as a decoding failure.
struct KubeconfigFile: Decodable {
    struct Named<T: Decodable>: Decodable {
        var name: String?
        var value: T?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: DynamicKey.self)
            name = try container.decodeIfPresent(String.self, forKey: DynamicKey("name"))
            let key = DynamicKey(T.self == Cluster.self ? "cluster" : T.self == User.self ? "user" : "context")
            value = try container.decodeIfPresent(T.self, forKey: key)
        }
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    struct User: Decodable {
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var token: String?
        var tokenFile: String?
        var username: String?
        var password: String?
        var exec: IgnoredValue?
        var authProvider: IgnoredValue?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token, tokenFile, username, password, exec
            case authProvider = "auth-provider"
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    /// A value whose presence matters but whose content we do not read.
    struct IgnoredValue: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var clusters: [Named<Cluster>]?
    var users: [Named<User>]?
    var contexts: [Named<Context>]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }
}
