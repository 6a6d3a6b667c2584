// Holds the TLS certificate set in force and replaces it when the files
// change on disk (a Kubernetes Secret update swaps its `..data` symlink):
// new connections get the new set, open ones keep theirs, and a set that
// fails to load is refused while the old one stays.
import Atomics
import Logging
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

final class TLSCertificateStore: Sendable {
    let config: TLSConfig
    private let logger: Logger
    private let current: ManagedAtomic<TLSCertificateSet>
    private let watcher = NIOLockedValueBox<Task<Void, Never>?>(nil)

    let reloads = ManagedAtomic<Int>(0)
    let reloadFailures = ManagedAtomic<Int>(0)
    let handshakeFailures = ManagedAtomic<Int>(0)
    /// The last refused reload's reason, until a reload succeeds.
    let lastReloadError = NIOLockedValueBox<String?>(nil)
    /// The files' identities and bytes when the first set was loaded.
    private let initialWatch: TLSFileWatch

    /// Loads the files once; throws (naming the file) when they are unusable.
    init(config: TLSConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        var watch = TLSFileWatch(paths: Self.paths(config))
        _ = watch.recordIdentities()
        do throws(TLSLoadError) {
            watch.contents = try Self.read(config).get()
            self.current = ManagedAtomic(try TLSCertificateSet.load(config, files: watch.contents))
            self.initialWatch = watch
        } catch {
            throw error
        }
    }

    /// The set new connections use.
    var certificates: TLSCertificateSet { current.load(ordering: .acquiring) }

    /// Every file the config names, each once.
    static func paths(_ config: TLSConfig) -> [String] {
        var out: [String] = []
        for p in config.certificates.flatMap({ [$0.certificate, $0.privateKey] }) + (config.clientCA.map { [$0] } ?? [])
        where !out.contains(p) {
            out.append(p)
        }
        return out
    }

    // MARK: Watching

    /// Starts polling the files every `reloadInterval` (unless it is 0).
    func startWatching() {
        let interval = config.reloadInterval.nanoseconds
        guard interval > 0 else { return }
        let task = Task.detached { [self] in
            var seen = initialWatch
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval))
                if Task.isCancelled { break }
                self.check(&seen)
            }
        }
        watcher.withLockedValue { $0 = task }
    }

    func stopWatching() {
        watcher.withLockedValue { $0?.cancel(); $0 = nil }
    }

    /// One poll: cheap `stat`s; when an identity changed, read the files
    /// and reload if their bytes differ from the last ones seen.
    private func check(_ seen: inout TLSFileWatch) {
        guard seen.recordIdentities() else { return }
        let files: TLSFileContents
        switch Self.read(config) {
        case .success(let f): files = f
        case .failure(let error):
            // Possibly mid-update (a file briefly missing): report once per
            // change; the next change of identity tries again.
            refuse(error)
            seen.contents = [:]
            return
        }
        guard files != seen.contents else { return }
        seen.contents = files
        do {
            let next = try TLSCertificateSet.load(config, files: files)
            current.store(next, ordering: .releasing)
            reloads.wrappingIncrement(ordering: .relaxed)
            lastReloadError.withLockedValue { $0 = nil }
            logger.notice("tls: reloaded certificates; new connections use them", metadata: [
                "certificates": .array(next.entries.map { e in
                    .string("\(e.files.certificate): subject \(e.leaf.subject), serial \(e.leaf.serial), notAfter \(e.leaf.notAfterText)")
                }),
            ])
        } catch {
            refuse(error)
        }
    }

    private func refuse(_ error: TLSLoadError) {
        reloadFailures.wrappingIncrement(ordering: .relaxed)
        lastReloadError.withLockedValue { $0 = error.description }
        logger.error("tls: reload refused, still serving the previous certificates: \(error)")
    }

    /// Reads every file of the config.
    static func read(_ config: TLSConfig) -> Result<TLSFileContents, TLSLoadError> {
        var out: TLSFileContents = [:]
        for path in paths(config) {
            switch FileBytes.read(path) {
            case .success(let bytes): out[path] = bytes
            case .failure(let problem):
                return .failure(TLSLoadError(key: config.key(naming: path), file: path, problem: problem.description))
            }
        }
        return .success(out)
    }
}

/// What the watcher last saw of the files.
struct TLSFileWatch {
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64
    }

    let paths: [String]
    var identities: [Identity?] = []
    var contents: TLSFileContents = [:]

    init(paths: [String]) { self.paths = paths }

    /// Stats every path (following symlinks, so a swapped `..data` link
    /// shows as a new inode); true when anything differs from last time.
    mutating func recordIdentities() -> Bool {
        let now = paths.map { path -> Identity? in
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                            modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                            changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
        }
        defer { identities = now }
        return now != identities
    }
}

/// Whole-file reads with the reason on failure.
enum FileBytes {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static let limit = 1 << 20

    static func read(_ path: String) -> Result<[UInt8], Problem> {
        guard let f = fopen(path, "rb") else {
            return .failure(Problem(description: "cannot read: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if bytes.count > limit { return .failure(Problem(description: "larger than 1 MiB: not a PEM file")) }
            if n < chunk.count {
                if ferror(f) != 0 {
                    return .failure(Problem(description: "cannot read: \(String(cString: strerror(errno)))"))
                }
                break
            }
        }
        if bytes.isEmpty { return .failure(Problem(description: "the file is empty")) }
        return .success(bytes)
    }
}

/// Unix seconds as `2026-01-31T12:00:00Z`, without Foundation.
enum UTCTime {
    static func iso8601(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
