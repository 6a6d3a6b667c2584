// Writes a kubeconfig that points kubectl (or KubeClient) at a running KubeSim.
import Foundation

/// The kubeconfig of one KubeSim: cluster `kubesim`, user `kubesim`,
/// context `kubesim` (current), namespace `default`.
public struct KubeconfigWriter: Sendable {
    /// The server URL.
    public var server: String
    /// CA certificate PEM, for HTTPS.
    public var caCertificatePEM: String?
    /// Bearer token, if any.
    public var token: String?
    /// Client certificate and key PEM, if any.
    public var clientCertificate: (certificate: String, key: String)?

    /// Creates a writer.
    public init(server: String, caCertificatePEM: String? = nil, token: String? = nil,
                clientCertificate: (certificate: String, key: String)? = nil) {
        self.server = server
        self.caCertificatePEM = caCertificatePEM
        self.token = token
        self.clientCertificate = clientCertificate
    }

    /// The kubeconfig YAML.
    public var yaml: String {
        func base64(_ pem: String) -> String { Data(pem.utf8).base64EncodedString() }
        var cluster = "    server: \(server)\n"
        if let caCertificatePEM { cluster += "    certificate-authority-data: \(base64(caCertificatePEM))\n" }
        var user = ""
        if let token { user += "    token: \(token)\n" }
        if let clientCertificate {
            user += "    client-certificate-data: \(base64(clientCertificate.certificate))\n"
            user += "    client-key-data: \(base64(clientCertificate.key))\n"
        }
        if user.isEmpty { user = "    {}\n" }
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
            \(cluster)users:
            - name: kubesim
              user:
            \(user)contexts:
            - name: kubesim
              context:
                cluster: kubesim
                user: kubesim
                namespace: default
            current-context: kubesim
            preferences: {}

            """
    }

    /// Writes ``yaml`` to a file readable only by its owner (it holds credentials).
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(yaml.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
