// The error a broken or incomplete configuration is refused with.

/// A configuration that cannot be used, naming the field at fault, e.g.
/// `kubeconfig /home/me/.kube/config: users[name=dev].user.client-key-data: required when client-certificate-data is set`.
public struct KubeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file or source that was read (a kubeconfig path, or `in-cluster`).
    public var source: String
    /// The field at fault, as a path (`clusters[name=dev].cluster.server`) or an
    /// environment variable name.
    public var field: String
    /// What is wrong with it.
    public var problem: String

    /// Creates an error.
    public init(source: String, field: String, problem: String) {
        self.source = source
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(source): \(field): \(problem)" }
}
