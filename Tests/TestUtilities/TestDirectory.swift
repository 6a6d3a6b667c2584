// The temporary directory of one test run: process logs, certificates.

import Foundation
import Synchronization

/// A directory under the system's temporary directory, one per test binary
/// run, kept afterwards so that logs can be read after a failure.
public enum TestDirectory {
    private static let serial = Atomic<Int>(0)

    private static let created: Result<URL, TestUtilityError> = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("portico-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return .success(url)
        } catch {
            return .failure(TestUtilityError("TestDirectory: cannot create \(url.path): \(error)"))
        }
    }()

    /// The run's directory, created on first use.
    public static func shared() throws -> URL {
        try self.created.get()
    }

    /// A new empty subdirectory of the run's directory, named after `prefix`.
    public static func makeSubdirectory(_ prefix: String) throws -> URL {
        let url = try self.shared().appendingPathComponent("\(prefix)-\(self.nextSerial())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A number unique within the test binary run, for file names.
    static func nextSerial() -> Int {
        self.serial.add(1, ordering: .relaxed).newValue
    }
}
