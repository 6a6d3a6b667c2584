// A bearer token kept in a file that someone else rotates.
import Foundation
import Synchronization

/// Reads a token file and re-reads it whenever the file changes. The kubelet
/// replaces projected service-account tokens (through an atomic symlink
/// swap) well before they expire, so the token must never be cached for the
/// life of the process; a `stat` per request is cheap and makes the very
/// next request after a rotation use the new token.
final class TokenFile: Sendable {
    private struct Cached {
        var identity: FileIdentity
        var token: String
    }

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    /// The file's path.
    let path: String
    private let cache = Mutex<Cached?>(nil)

    init(path: String) {
        self.path = path
    }

    /// The current token; throws when the file is missing, unreadable or empty.
    func token() throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TokenFileError(path: path, problem: String(cString: strerror(errno)))
        }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        let identity = FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: Int(modified.tv_sec), modifiedNanoseconds: Int(modified.tv_nsec))
        if let cached = cache.withLock({ $0 }), cached.identity == identity { return cached.token }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenFileError(path: path, problem: "cannot be read")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw TokenFileError(path: path, problem: "is empty") }
        cache.withLock { $0 = Cached(identity: identity, token: token) }
        return token
    }
}

/// A token file that could not supply a token.
public struct TokenFileError: Error, Sendable, CustomStringConvertible {
    /// The token file.
    public var path: String
    /// Why no token came out of it.
    public var problem: String

    public var description: String { "token file \(path): \(problem)" }
}
