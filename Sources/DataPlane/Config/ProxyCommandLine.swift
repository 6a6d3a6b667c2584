// Merges the config file with command-line flags (flags win), reporting
// bad flags in the same words as bad keys.
#if canImport(Glibc)
import Glibc
#endif

public struct ProxyCommandLine: Sendable {
    public var file: String?
    public var listen: String?
    public var tlsCertificate: String?
    public var tlsPrivateKey: String?
    public var admin: String?
    public var health: String?
    public var workers: Int?
    public var membershipSocket: String?
    public var accessLog: Bool?
    public var tlsClientCA: String?
    public var tlsClientAuth: String?
    public var tlsReloadInterval: String?

    public init(file: String?, listen: String?, tlsCertificate: String?, tlsPrivateKey: String?, admin: String?,
                health: String?, workers: Int?, membershipSocket: String?, accessLog: Bool?,
                tlsClientCA: String? = nil, tlsClientAuth: String? = nil, tlsReloadInterval: String? = nil) {
        self.file = file
        self.listen = listen
        self.tlsCertificate = tlsCertificate
        self.tlsPrivateKey = tlsPrivateKey
        self.admin = admin
        self.health = health
        self.workers = workers
        self.membershipSocket = membershipSocket
        self.accessLog = accessLog
        self.tlsClientCA = tlsClientCA
        self.tlsClientAuth = tlsClientAuth
        self.tlsReloadInterval = tlsReloadInterval
    }

    public func load() throws -> ProxyConfig {
        var config = ProxyConfig()
        if let file {
            guard let text = Self.readFile(file) else {
                throw ConfigError(file: file, line: nil, path: "", problem: "cannot read the file")
            }
            config = try ProxyConfig.parse(yaml: text, file: file)
        }
        func address(_ value: String?, _ flag: String) throws -> HostPort? {
            guard let value else { return nil }
            guard let hp = HostPort(parsing: value) else {
                throw ConfigError(file: "command line", line: nil, path: "--\(flag)",
                                  problem: "expected host:port, got \"\(value)\"")
            }
            return hp
        }
        if let v = try address(listen, "listen") { config.listen = v }
        if let v = try address(admin, "admin") { config.admin = v }
        if let v = try address(health, "health") { config.health = v }
        if let workers {
            guard (1...256).contains(workers) else {
                throw ConfigError(file: "command line", line: nil, path: "--workers", problem: "\(workers) is out of range (1...256)")
            }
            config.workers = workers
        }
        if let membershipSocket { config.membershipSocket = membershipSocket }
        if let accessLog { config.accessLog = accessLog }
        try applyTLSFlags(to: &config)
        if config.clusters.isEmpty && config.membershipSocket == nil {
            throw ConfigError(file: file ?? "command line", line: nil, path: "clusters",
                              problem: "no clusters and no membership socket: the proxy would have nothing to serve")
        }
        return config
    }

    static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
