// Finds the executables SwiftPM built next to the running test binary.

import Foundation

/// The directory of built executables (`portico-proxy`, `echo-grpc`, …).
///
/// The test binary lives in SwiftPM's build directory (for example
/// `.build/<triple>/debug/portico…PackageTests.xctest`), and so do the
/// package's executables, whatever `--scratch-path` was used. Set
/// `PORTICO_BUILD_PRODUCTS` to a directory to override.
public enum BuildProducts {
    /// The directory holding the package's executables.
    public static func directory() throws -> URL {
        try self.located.get()
    }

    /// The path of the executable `name`; fails with a message saying to run
    /// `swift build` if it has not been built.
    public static func executable(_ name: String) throws -> URL {
        let directory = try self.directory()
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestUtilityError("""
                BuildProducts: '\(name)' is not built in \(directory.path). \
                Run `swift build` (with the same --scratch-path as the tests) first.
                """)
        }
        return url
    }

    private static let markers = ["echo-grpc", "reverse-grpc", "portico-grpc-client", "portico-proxy"]

    private static let located: Result<URL, TestUtilityError> = {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["PORTICO_BUILD_PRODUCTS"], !override.isEmpty {
            return .success(URL(fileURLWithPath: override, isDirectory: true))
        }
        var starts: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: executable))
        }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL)
        starts.append(Bundle.main.bundleURL)

        for start in starts {
            var directory = start.deletingLastPathComponent()
            while directory.pathComponents.count > 1 {
                for marker in markers {
                    if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(marker).path) {
                        return .success(directory)
                    }
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return .failure(TestUtilityError("""
            BuildProducts: no built executables (\(markers.joined(separator: ", "))) found above \
            \(starts.map(\.path).joined(separator: " or ")). Run `swift build` (with the same \
            --scratch-path as the tests) first, or set PORTICO_BUILD_PRODUCTS.
            """))
    }()
}
