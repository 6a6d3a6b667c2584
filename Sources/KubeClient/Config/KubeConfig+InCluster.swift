// Configuration of a process running in a pod, from its service account.
import Foundation

extension KubeConfig {
    /// Where the kubelet mounts the service account's token, CA and namespace.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a pod: the API server from
    /// `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, the CA from
    /// `ca.crt`, the token from `token` (re-read as it rotates) and the
    /// namespace from `namespace` in the service-account directory.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws -> KubeConfig {
        func fail(_ field: String, _ problem: String) -> KubeConfigError {
            KubeConfigError(source: "in-cluster configuration", field: field, problem: problem)
        }
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw fail("KUBERNETES_SERVICE_HOST", "not set (not running in a pod?)")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw fail("KUBERNETES_SERVICE_PORT", "not set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw fail("KUBERNETES_SERVICE_PORT", "'\(port)' is not a port number")
        }
        let directory = serviceAccountDirectory.hasSuffix("/") ? String(serviceAccountDirectory.dropLast()) : serviceAccountDirectory
        let tokenPath = directory + "/token"
        let caPath = directory + "/ca.crt"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw fail(tokenPath, "service-account token file is missing or unreadable")
        }
        guard FileManager.default.isReadableFile(atPath: caPath) else {
            throw fail(caPath, "service-account CA file is missing or unreadable")
        }
        var namespace = "default"
        if let data = FileManager.default.contents(atPath: directory + "/namespace") {
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty { namespace = value }
        }
        // An IPv6 service address must be bracketed inside a URL.
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubeConfig(
            server: "https://\(hostPart):\(portNumber)",
            certificateAuthority: .file(caPath),
            credentials: .tokenFile(tokenPath),
            namespace: namespace)
    }
}
