// A directory laid out like a mounted Kubernetes Secret, updated the way
// the kubelet updates one: a new timestamped directory, then an atomic swap
// of the `..data` symlink that the visible file names point through.

import Foundation

/// A Secret volume on disk: `tls.crt -> ..data/tls.crt`,
/// `..data -> ..<version>/`.
///
/// ```swift
/// let volume = try SecretVolume(files: ["tls.crt": certPEM, "tls.key": keyPEM])
/// // proxy config: certificate: volume.path("tls.crt")
/// try volume.update(["tls.crt": newCertPEM, "tls.key": newKeyPEM])
/// ```
public final class SecretVolume: Sendable {
    /// The mount directory.
    public let directory: URL

    /// Creates the volume with `files` (name → contents).
    public init(files: [String: Data]) throws {
        self.directory = try TestDirectory.makeSubdirectory("secret")
        let data = try writeVersion(files)
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("..data").path,
                                                   withDestinationPath: data)
        for name in files.keys {
            try FileManager.default.createSymbolicLink(atPath: self.path(name),
                                                       withDestinationPath: "..data/\(name)")
        }
    }

    /// Copies files from disk: name in the volume → source path.
    public convenience init(copying sources: [String: String]) throws {
        try self.init(files: try sources.mapValues { try Data(contentsOf: URL(fileURLWithPath: $0)) })
    }

    /// The path a container would read, e.g. `/etc/portico/tls/tls.crt`.
    public func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Replaces every file at once: writes a new version directory, then
    /// renames a fresh `..data` link over the old one (atomic on POSIX).
    public func update(_ files: [String: Data]) throws {
        let version = try writeVersion(files)
        let temporary = directory.appendingPathComponent("..data_tmp").path
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: version)
        guard rename(temporary, directory.appendingPathComponent("..data").path) == 0 else {
            throw TestUtilityError("SecretVolume: rename of ..data failed: errno \(errno)")
        }
    }

    /// ``update(_:)`` from files on disk.
    public func update(copying sources: [String: String]) throws {
        try update(try sources.mapValues { try Data(contentsOf: URL(fileURLWithPath: $0)) })
    }

    private func writeVersion(_ files: [String: Data]) throws -> String {
        let name = "..\(TestDirectory.nextSerial())_\(UInt32.random(in: 0...UInt32.max))"
        let version = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: version, withIntermediateDirectories: false)
        for (file, contents) in files {
            try contents.write(to: version.appendingPathComponent(file))
        }
        return name
    }
}
