// Kubeconfig resolution, and refusals that name the broken field.
import Foundation
import KubeClient
import Testing

@Suite struct KubeconfigTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    static let pemBase64 = Data(pem.utf8).base64EncodedString()

    static func kubeconfig(cluster: String = "    server: https://127.0.0.1:6443\n", user: String = "    token: abc\n",
                           context: String = "    cluster: dev\n    user: dev\n    namespace: edge\n",
                           current: String = "current-context: dev\n") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: dev
          cluster:
        \(cluster)users:
        - name: dev
          user:
        \(user)contexts:
        - name: dev
          context:
        \(context)- name: other
          context:
            cluster: dev
        \(current)
        """
    }

    @Test func resolvesCurrentContext() throws {
        let config = try KubeConfig.parse(yaml: Self.kubeconfig(cluster: "    server: https://127.0.0.1:6443/\n    certificate-authority-data: \(Self.pemBase64)\n"))
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.certificateAuthority == .data(Data(Self.pem.utf8)))
        #expect(config.credentials == .token("abc"))
        #expect(config.namespace == "edge")
        #expect(config.insecureSkipTLSVerify == false)
    }

    @Test func proxyURLIsKept() throws {
        let config = try KubeConfig.parse(yaml: Self.kubeconfig(cluster: "    server: https://h:1\n    proxy-url: http://127.0.0.1:3128\n"))
        #expect(config.proxyURL == "http://127.0.0.1:3128")
    }

    @Test func namedContextWithoutUser() throws {
        let config = try KubeConfig.parse(yaml: Self.kubeconfig(), context: "other")
        #expect(config.credentials == .none)
        #expect(config.namespace == "default")
    }

    @Test func relativeFilesResolveAgainstTheKubeconfigDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.pem.utf8).write(to: directory.appendingPathComponent("ca.crt"))
        try Data("tok\n".utf8).write(to: directory.appendingPathComponent("token"))
        let text = Self.kubeconfig(cluster: "    server: https://127.0.0.1:6443\n    certificate-authority: ca.crt\n",
                                   user: "    tokenFile: token\n")
        let path = directory.appendingPathComponent("config").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let config = try KubeConfig.load(path: path)
        #expect(config.certificateAuthority == .file(directory.path + "/ca.crt"))
        #expect(config.credentials == .tokenFile(directory.path + "/token"))
    }

    /// Each broken kubeconfig, and the field its error must name.
    static let broken: [(String, String, String)] = [
        ("no current context", kubeconfig(current: ""), "current-context"),
        ("unknown current context", kubeconfig(current: "current-context: nope\n"), "current-context"),
        ("no server", kubeconfig(cluster: "    insecure-skip-tls-verify: true\n"), "clusters[name=dev].cluster.server"),
        ("server not a URL", kubeconfig(cluster: "    server: 127.0.0.1:6443\n"), "clusters[name=dev].cluster.server"),
        ("bad CA base64", kubeconfig(cluster: "    server: https://h:1\n    certificate-authority-data: '%%%'\n"),
         "clusters[name=dev].cluster.certificate-authority-data"),
        ("CA file missing", kubeconfig(cluster: "    server: https://h:1\n    certificate-authority: /nonexistent/ca.crt\n"),
         "clusters[name=dev].cluster.certificate-authority"),
        ("certificate without key", kubeconfig(user: "    client-certificate-data: \(pemBase64)\n"),
         "users[name=dev].user.client-key-data"),
        ("token file missing", kubeconfig(user: "    tokenFile: /nonexistent/token\n"), "users[name=dev].user.tokenFile"),
        ("exec plugin", kubeconfig(user: "    exec:\n      command: aws\n"), "users[name=dev].user.exec"),
        ("unknown user", kubeconfig(context: "    cluster: dev\n    user: ghost\n"), "contexts[name=dev].context.user"),
        ("unknown cluster", kubeconfig(context: "    cluster: ghost\n"), "contexts[name=dev].context.cluster"),
        ("clusters not a list", "clusters: 12\ncurrent-context: dev\n", "clusters"),
        ("proxy not a URL", kubeconfig(cluster: "    server: https://h:1\n    proxy-url: not a url\n"), "clusters[name=dev].cluster.proxy-url"),
        ("insecure with CA", kubeconfig(cluster: "    server: https://h:1\n    insecure-skip-tls-verify: true\n    certificate-authority-data: \(pemBase64)\n"),
         "clusters[name=dev].cluster.insecure-skip-tls-verify"),
    ]

    @Test(arguments: broken)
    func brokenKubeconfigIsRefusedNamingTheField(_ name: String, _ yaml: String, _ field: String) throws {
        let error = try #require(throws: KubeConfigError.self) { try KubeConfig.parse(yaml: yaml, source: "kubeconfig test") }
        #expect(error.field == field, "\(name): \(error)")
        #expect(error.description.contains(field))
    }

    @Test func missingFileIsRefused() throws {
        let error = try #require(throws: KubeConfigError.self) { try KubeConfig.load(path: "/nonexistent/kubeconfig") }
        #expect(error.description.contains("/nonexistent/kubeconfig"))
    }
}

@Suite struct InClusterConfigTests {
    @Test func readsServiceAccountDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("token".utf8).write(to: directory.appendingPathComponent("token"))
        try Data(KubeconfigTests.pem.utf8).write(to: directory.appendingPathComponent("ca.crt"))
        try Data("edge\n".utf8).write(to: directory.appendingPathComponent("namespace"))
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory.path)
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.namespace == "edge")
        #expect(config.credentials == .tokenFile(directory.path + "/token"))
        #expect(config.certificateAuthority == .file(directory.path + "/ca.crt"))
    }

    @Test func missingEnvironmentNamesTheVariable() throws {
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1"], serviceAccountDirectory: "/nonexistent")
        }
        #expect(error.field == "KUBERNETES_SERVICE_PORT")
        let noToken = try #require(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                     serviceAccountDirectory: "/nonexistent")
        }
        #expect(noToken.field == "/nonexistent/token")
    }
}
