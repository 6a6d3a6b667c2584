// One child process of a test: started from a build product, logged, stopped.

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
private let posixKill = Glibc.kill
#elseif canImport(Darwin)
import Darwin
private let posixKill = Darwin.kill
#endif

/// A child process that a test starts and that never outlives the test.
///
/// Its stdout and stderr go, interleaved in order, to one log file in a
/// temporary directory (``logFile``); ``output`` and ``outputTail(lines:)``
/// read it back, for assertions and for failure reports. The process is
/// killed with SIGKILL when this object is deinitialised, and every process
/// still running when the test binary exits is killed then.
///
/// ```swift
/// let backend = try ManagedProcess.start("echo-grpc", arguments: ["--port", "0"])
/// let line = try await backend.waitForOutput(containing: "listening on")
/// // ...
/// let status = await backend.terminate()
/// #expect(status == .exited(0))
/// ```
public final class ManagedProcess: @unchecked Sendable {
    /// How a process ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited(\(code))"
            case .signalled(let signal): "signalled(\(signal))"
            }
        }
    }

    /// A short name for reports (the executable's name).
    public let name: String
    /// The executable that runs.
    public let executable: URL
    /// The arguments it was started with.
    public let arguments: [String]
    /// The file holding its stdout and stderr.
    public let logFile: URL
    /// Its process id.
    public let pid: Int32

    // Foundation's Process is safe to query from any thread; the lock only
    // guards the log handle's lifetime.
    private let process: Process
    private let logHandle: Mutex<FileHandle?>

    /// Starts the build product `product` (see ``BuildProducts``).
    ///
    /// - Parameters:
    ///   - environment: variables added to (or replacing) the test's own.
    public static func start(
        _ product: String,
        arguments: [String] = [],
        environment: [String: String] = [:]
    ) throws -> ManagedProcess {
        try ManagedProcess(executable: BuildProducts.executable(product), arguments: arguments,
                           environment: environment)
    }

    /// Starts `executable` with `arguments`; see ``start(_:arguments:environment:)``.
    public init(executable: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.name = executable.lastPathComponent
        self.executable = executable
        self.arguments = arguments
        self.logFile = try TestDirectory.shared().appendingPathComponent(
            "\(self.name)-\(TestDirectory.nextSerial()).log")

        guard FileManager.default.createFile(atPath: self.logFile.path, contents: nil) else {
            throw TestUtilityError("ManagedProcess: cannot create \(self.logFile.path)")
        }
        let handle = try FileHandle(forWritingTo: self.logFile)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        do {
            try process.run()
        } catch {
            try? handle.close()
            throw TestUtilityError("ManagedProcess: cannot start \(executable.path): \(error)")
        }
        self.process = process
        self.pid = process.processIdentifier
        self.logHandle = Mutex(handle)
        LiveProcesses.add(self.pid)
    }

    deinit {
        self.kill()
        LiveProcesses.remove(self.pid)
        self.logHandle.withLock { handle in
            try? handle?.close()
            handle = nil
        }
    }

    /// Whether the process is still running.
    public var isRunning: Bool {
        self.process.isRunning
    }

    /// How the process ended, or nil while it runs.
    public var exitStatus: ExitStatus? {
        guard !self.process.isRunning else { return nil }
        switch self.process.terminationReason {
        case .exit: return .exited(self.process.terminationStatus)
        case .uncaughtSignal: return .signalled(self.process.terminationStatus)
        @unknown default: return .exited(self.process.terminationStatus)
        }
    }

    /// Sends `signal` (e.g. `SIGUSR1`) to the process, if it still runs.
    public func signal(_ signal: Int32) {
        guard self.process.isRunning else { return }
        _ = posixKill(self.pid, signal)
    }

    /// Kills the process with SIGKILL at once.
    public func kill() {
        self.signal(SIGKILL)
    }

    /// Stops the process: SIGTERM, then SIGKILL if it is still running after
    /// `grace`. Returns how it ended.
    @discardableResult
    public func terminate(grace: Duration = .seconds(10)) async -> ExitStatus {
        self.signal(SIGTERM)
        if let status = try? await self.waitForExit(timeout: grace) {
            return status
        }
        self.kill()
        // SIGKILL can't be ignored; the wait is only for the reaper to notice.
        return (try? await self.waitForExit(timeout: .seconds(30))) ?? .signalled(SIGKILL)
    }

    /// Waits until the process ends; throws after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> ExitStatus {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = self.exitStatus { return status }
            guard ContinuousClock.now < deadline else {
                throw TestUtilityError("\(self.name) (pid \(self.pid)) still running after \(timeout)\n\(self.report())")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// The pids of children still running, killed when the test binary exits so
/// that a test that forgot to stop one (or failed first) leaks nothing.
enum LiveProcesses {
    private static let pids = Mutex<Set<Int32>>([])
    private static let installExitHook: Void = {
        atexit {
            for pid in LiveProcesses.pids.withLock({ $0 }) {
                _ = posixKill(pid, SIGKILL)
            }
        }
    }()

    static func add(_ pid: Int32) {
        _ = self.installExitHook
        self.pids.withLock { _ = $0.insert(pid) }
    }

    static func remove(_ pid: Int32) {
        self.pids.withLock { _ = $0.remove(pid) }
    }
}
