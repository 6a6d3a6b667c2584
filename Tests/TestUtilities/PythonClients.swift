// Runs the independent Python clients and backends of Tests/Clients (grpcio,
// h2) as child processes, and reads the one JSON line each client prints.

import Foundation

/// The scripts of `Tests/Clients`, run with the system's `python3`.
public enum PythonClients {
    /// `Tests/Clients`, found from this file's place in the source tree.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Clients")

    /// The venv's `python3` that hack/install-deps makes (`.venv-tests`, with
    /// grpcio and h2), else the one on PATH.
    public static func python() throws -> URL {
        let venv = directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".venv-tests/bin/python3")
        if FileManager.default.isExecutableFile(atPath: venv.path) { return venv }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("python3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestUtilityError("PythonClients: no python3 on PATH")
    }

    /// Starts `script` (a file in `Tests/Clients`) with `arguments`.
    public static func start(_ script: String, _ arguments: [String]) throws -> ManagedProcess {
        let path = directory.appendingPathComponent(script).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestUtilityError("PythonClients: \(path) is missing")
        }
        return try ManagedProcess(executable: python(), arguments: ["-u", path] + arguments,
                                  environment: ["PYTHONDONTWRITEBYTECODE": "1"])
    }

    /// Waits for a client started with ``start(_:_:)`` to exit and returns
    /// the JSON object of its last output line.
    public static func result(of process: ManagedProcess, timeout: Duration) async throws -> ClientResult {
        let status = try await process.waitForExit(timeout: timeout)
        let lines = process.output.split(separator: "\n")
        guard let line = lines.last(where: { $0.hasPrefix("{") }),
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestUtilityError("\(process.name) \(status) printed no JSON result\n\(process.report())")
        }
        return ClientResult(fields: object, log: process.outputTail())
    }

    /// Runs `script` to completion.
    public static func run(_ script: String, _ arguments: [String], timeout: Duration) async throws -> ClientResult {
        try await result(of: start(script, arguments), timeout: timeout)
    }
}

/// What a Python client reported.
public struct ClientResult: @unchecked Sendable, CustomStringConvertible {
    public let fields: [String: Any]
    public let log: String

    public func int(_ key: String) -> Int { (fields[key] as? NSNumber)?.intValue ?? 0 }
    public func double(_ key: String) -> Double { (fields[key] as? NSNumber)?.doubleValue ?? .nan }

    public var description: String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// `Tests/Clients/probe_backend.py`: a fast grpcio backend with
/// `api.Echo/Echo`, `api.Probe/ServerStream`, `api.Probe/Upload` and health.
public struct ProbeBackend: Sendable {
    public let process: ManagedProcess
    public let port: Int

    public var address: String { "127.0.0.1:\(port)" }

    public static func start(name: String, port: Int? = nil) async throws -> ProbeBackend {
        let port = try port ?? PortAllocator.freePort()
        let process = try PythonClients.start("probe_backend.py", ["--port", "\(port)", "--name", name])
        try await process.waitForOutput(containing: "ready")
        return ProbeBackend(process: process, port: port)
    }

    public func stop() async { _ = await process.terminate(grace: .seconds(3)) }
}
