// Reading and waiting for what a ManagedProcess printed.

import Foundation

extension ManagedProcess {
    /// Everything the process wrote to stdout and stderr so far.
    public var output: String {
        (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
    }

    /// The number of bytes of output so far; pass it as `after` to
    /// ``waitForOutput(containing:after:timeout:)`` to wait for new output only.
    public var outputLength: Int {
        ((try? FileManager.default.attributesOfItem(atPath: self.logFile.path))?[.size] as? Int) ?? 0
    }

    /// The last `lines` lines of output, for failure messages.
    public func outputTail(lines: Int = 40) -> String {
        self.output.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// A report for a failed test: name, pid, state, log path and log tail.
    public func report(lines: Int = 40) -> String {
        let state = self.exitStatus.map { "\($0)" } ?? "running"
        return """
            --- \(self.name) (pid \(self.pid), \(state)), log \(self.logFile.path), last \(lines) lines:
            \(self.outputTail(lines: lines))
            ---
            """
    }

    /// Waits until the output (after byte offset `after`) contains `text`,
    /// and returns the first line that contains it.
    ///
    /// Fails early, with the log tail, if the process exits first.
    @discardableResult
    public func waitForOutput(
        containing text: String,
        after offset: Int = 0,
        timeout: Duration = .seconds(30)
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Read the status before the output, so output written just
            // before exiting is still seen.
            let exited = self.exitStatus
            let data = (try? Data(contentsOf: self.logFile)) ?? Data()
            let output = String(decoding: data.dropFirst(offset), as: UTF8.self)
            if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) {
                return String(line)
            }
            if let exited {
                throw TestUtilityError("\(self.name) \(exited) without printing '\(text)'\n\(self.report())")
            }
            guard ContinuousClock.now < deadline else {
                throw TestUtilityError("\(self.name) did not print '\(text)' within \(timeout)\n\(self.report())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until `host:port` accepts TCP connections.
    public func waitForPort(_ port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !TCPProbe.accepts(host: host, port: port) {
            if let exited = self.exitStatus {
                throw TestUtilityError("\(self.name) \(exited) before \(host):\(port) accepted connections\n\(self.report())")
            }
            guard ContinuousClock.now < deadline else {
                throw TestUtilityError("\(host):\(port) accepted no connection within \(timeout)\n\(self.report())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
