// A running echo-grpc or reverse-grpc process for a test.

import Foundation

/// One sample backend process, listening on 127.0.0.1.
///
/// ```swift
/// let backend = try await SampleBackend.start(.echo, hostname: "echo-1")
/// // proxy config: endpoints: ["127.0.0.1:\(backend.port)"]
/// backend.process.signal(SIGUSR1)          // health → NOT_SERVING
/// await backend.stop()
/// ```
public struct SampleBackend: Sendable {
    /// Which sample service to run.
    public enum Kind: String, Sendable, CaseIterable {
        /// `echo-grpc`: api.Echo + health.
        case echo = "echo-grpc"
        /// `reverse-grpc`: api.Reverse + health.
        case reverse = "reverse-grpc"

        /// The gRPC service it serves, e.g. `api.Echo`.
        public var serviceName: String {
            switch self {
            case .echo: "api.Echo"
            case .reverse: "api.Reverse"
            }
        }
    }

    /// Which service runs.
    public let kind: Kind
    /// The instance name it reports in the `hostname` header.
    public let hostname: String
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// The process, for signals, output and exit status.
    public let process: ManagedProcess

    /// `127.0.0.1:<port>`, as proxy configurations spell endpoints.
    public var address: String { "127.0.0.1:\(self.port)" }

    /// Starts a backend and waits until it listens.
    ///
    /// - Parameters:
    ///   - port: the port to use; nil lets the server pick a free one and
    ///     report it, which cannot collide with anything.
    ///   - notServing: start with health NOT_SERVING.
    ///   - testHooks: obey the request-metadata test hooks (`--test-hooks`),
    ///     which the tests steer the backend with; off only to check that a
    ///     server started the way the sample manifests start it ignores them.
    ///   - extraArguments: more flags for the executable.
    public static func start(
        _ kind: Kind,
        hostname: String,
        port: Int? = nil,
        notServing: Bool = false,
        testHooks: Bool = true,
        extraArguments: [String] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> SampleBackend {
        var arguments = ["--host", "127.0.0.1", "--port", String(port ?? 0), "--hostname", hostname]
        if notServing { arguments.append("--not-serving") }
        if testHooks { arguments.append("--test-hooks") }
        let process = try ManagedProcess.start(kind.rawValue, arguments: arguments + extraArguments)
        let line = try await process.waitForOutput(containing: "listening on", timeout: timeout)
        guard let colon = line.lastIndex(of: ":"), let actual = Int(line[line.index(after: colon)...]) else {
            throw TestUtilityError("\(kind.rawValue) printed an unexpected line '\(line)'\n\(process.report())")
        }
        return SampleBackend(kind: kind, hostname: hostname, port: actual, process: process)
    }

    /// Stops the backend gracefully (SIGTERM, then SIGKILL) and returns how it ended.
    @discardableResult
    public func stop() async -> ManagedProcess.ExitStatus {
        await self.process.terminate()
    }
}
