// Reads the YAML config file, refusing anything it does not understand with
// an error that names the key, the line and the problem.
import Yams

/// A config problem, located by key path and line.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var path: String
    public var problem: String

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(problem)" : "\(location): \(path): \(problem)"
    }
}

extension ProxyConfig {
    /// Parses a config document. Nothing is applied unless all of it is valid.
    public static func parse(yaml text: String, file: String = "config") throws -> ProxyConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: nil, path: "", problem: "not valid YAML: \(error)")
        }
        var config = ProxyConfig()
        guard let root else { throw ConfigError(file: file, line: nil, path: "", problem: "the file is empty") }
        let reader = ConfigReader(file: file)
        try reader.read(root, into: &config)
        return config
    }
}

/// Walks the YAML tree; every accessor knows its key path for errors.
struct ConfigReader {
    let file: String

    func fail(_ node: Node?, _ path: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line, path: path, problem: problem)
    }

    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> [(String, Node)] {
        guard case .mapping(let m) = node else { throw fail(node, path, "expected a mapping, got \(kind(node))") }
        var out: [(String, Node)] = []
        var seen = Set<String>()
        for (k, v) in m {
            guard let key = k.string else { throw fail(k, path, "keys must be strings") }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                throw fail(k, keyPath, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw fail(k, keyPath, "key given twice") }
            out.append((key, v))
        }
        return out
    }

    func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard case .scalar(let s) = node else { throw fail(node, path, "expected a string, got \(kind(node))") }
        return s.string
    }

    func int(_ node: Node, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
        let text = try string(node, path)
        guard let value = Int(text) else { throw fail(node, path, "expected an integer, got \"\(text)\"") }
        guard range.contains(value) else {
            throw fail(node, path, "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    func bool(_ node: Node, _ path: String) throws -> Bool {
        switch try string(node, path) {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw fail(node, path, "expected true or false, got \"\(other)\"")
        }
    }

    func address(_ node: Node, _ path: String) throws -> HostPort {
        let text = try string(node, path)
        guard let hp = HostPort(parsing: text) else {
            throw fail(node, path, "expected host:port (e.g. 127.0.0.1:8443), got \"\(text)\"")
        }
        return hp
    }

    func duration(_ node: Node, _ path: String) throws -> ConfigDuration {
        let text = try string(node, path)
        guard let d = ConfigDuration(parsing: text) else {
            throw fail(node, path, "expected a duration such as 250ms, 1s or 2m, got \"\(text)\"")
        }
        return d
    }

    func list(_ node: Node, _ path: String) throws -> [Node] {
        guard case .sequence(let s) = node else { throw fail(node, path, "expected a list, got \(kind(node))") }
        return Array(s)
    }

    func read(_ root: Node, into c: inout ProxyConfig) throws {
        let keys = ["listen", "tls", "admin", "health", "workers", "membership", "clusters", "http2",
                    "limits", "upstream", "drain", "accessLog", "maxConnectionAge", "maxConnectionAgeGrace"]
        for (key, v) in try mapping(root, "", allowed: keys) {
            switch key {
            case "listen": c.listen = try address(v, key)
            case "admin": c.admin = try address(v, key)
            case "health": c.health = try address(v, key)
            case "workers": c.workers = try int(v, key, 1...256)
            case "accessLog": c.accessLog = try bool(v, key)
            case "maxConnectionAge": c.maxConnectionAge = try duration(v, key)
            case "maxConnectionAgeGrace": c.maxConnectionAgeGrace = try duration(v, key)
            case "tls": c.tls = try tls(v, key)
            case "membership":
                for (k, w) in try mapping(v, key, allowed: ["socket"]) where k == "socket" {
                    let path = try string(w, "membership.socket")
                    guard !path.isEmpty else { throw fail(w, "membership.socket", "must not be empty") }
                    c.membershipSocket = path
                }
            case "http2": try http2(v, into: &c.http2)
            case "limits": try limits(v, into: &c.limits)
            case "upstream": try upstream(v, into: &c.upstream)
            case "drain":
                for (k, w) in try mapping(v, key, allowed: ["delay", "timeout"]) {
                    if k == "delay" { c.drainDelay = try duration(w, "drain.delay") }
                    if k == "timeout" { c.drainTimeout = try duration(w, "drain.timeout") }
                }
            default: // clusters
                let items = try list(v, key)
                var names = Set<String>()
                var owners: [String: String] = [:]
                for (i, item) in items.enumerated() {
                    let path = "clusters[\(i)]"
                    let cluster = try self.cluster(item, path)
                    guard names.insert(cluster.name).inserted else {
                        throw fail(item, "\(path).name", "cluster \"\(cluster.name)\" is defined twice")
                    }
                    for s in cluster.grpcServices {
                        if let other = owners[s] {
                            throw fail(item, "\(path).grpcServices",
                                       "gRPC service \"\(s)\" is already served by cluster \"\(other)\"")
                        }
                        owners[s] = cluster.name
                    }
                    c.clusters.append(cluster)
                }
            }
        }
        if c.clusters.isEmpty && c.membershipSocket == nil {
            throw fail(root, "clusters", "no clusters and no membership socket: the proxy would have nothing to serve")
        }
    }

    func positive(_ node: Node, _ path: String) throws -> ConfigDuration {
        let d = try duration(node, path)
        guard d.nanoseconds > 0 else { throw fail(node, path, "must be greater than zero") }
        return d
    }

    func cluster(_ node: Node, _ path: String) throws -> ClusterConfig {
        let fields = try mapping(node, path, allowed: ["name", "grpcServices", "lbPolicy", "hashHeader",
                                                       "healthCheck", "outlierDetection", "endpoints", "timeout",
                                                       "connectTimeout", "circuitBreakers"])
        var c = ClusterConfig(name: "", grpcServices: [], endpoints: [])
        var sawEndpoints = false
        for (k, v) in fields {
            let p = "\(path).\(k)"
            switch k {
            case "name":
                c.name = try string(v, p)
                guard !c.name.isEmpty else { throw fail(v, p, "must not be empty") }
            case "grpcServices":
                let nodes = try list(v, p)
                for (j, s) in nodes.enumerated() {
                    let name = try string(s, "\(p)[\(j)]")
                    guard Self.isServiceName(name) else {
                        throw fail(s, "\(p)[\(j)]", "\"\(name)\" is not a gRPC service name (package.Service)")
                    }
                    c.grpcServices.append(name)
                }
            case "lbPolicy":
                let text = try string(v, p)
                guard let policy = LoadBalancingPolicy(rawValue: text) else {
                    let all = LoadBalancingPolicy.allCases.map(\.rawValue).joined(separator: ", ")
                    throw fail(v, p, "unknown policy \"\(text)\" (expected one of: \(all))")
                }
                c.lbPolicy = policy
            case "hashHeader":
                let h = try string(v, p).lowercased()
                guard !h.isEmpty, !h.hasPrefix(":") || h == ":authority" || h == ":path" else {
                    throw fail(v, p, "expected a request header name")
                }
                c.hashHeader = h
            case "healthCheck": c.healthCheck = try healthCheck(v, p)
            case "outlierDetection": c.outlierDetection = try outlierDetection(v, p)
            case "endpoints":
                sawEndpoints = true
                for (j, e) in try list(v, p).enumerated() {
                    c.endpoints.append(EndpointConfig(address: try address(e, "\(p)[\(j)]")))
                }
            case "timeout":
                let d = try duration(v, p)
                c.timeout = d.nanoseconds == 0 ? nil : d
            case "circuitBreakers": c.circuitBreakers = try circuitBreakers(v, p)
            default: c.connectTimeout = try positive(v, p)
            }
        }
        guard !c.name.isEmpty else { throw fail(node, "\(path).name", "required") }
        guard !c.grpcServices.isEmpty else { throw fail(node, "\(path).grpcServices", "required (at least one)") }
        guard sawEndpoints else { throw fail(node, "\(path).endpoints", "required") }
        if c.lbPolicy == .ringHash && c.hashHeader == nil {
            throw fail(node, "\(path).hashHeader", "required when lbPolicy is ring_hash")
        }
        return c
    }

    func healthCheck(_ node: Node, _ path: String) throws -> HealthCheckConfig {
        var h = HealthCheckConfig()
        for (k, v) in try mapping(node, path, allowed: ["interval", "timeout", "unhealthyThreshold",
                                                        "healthyThreshold", "service"]) {
            let p = "\(path).\(k)"
            switch k {
            case "interval": h.interval = try positive(v, p)
            case "timeout": h.timeout = try positive(v, p)
            case "unhealthyThreshold": h.unhealthyThreshold = try int(v, p, 1...100)
            case "healthyThreshold": h.healthyThreshold = try int(v, p, 1...100)
            default: h.service = try string(v, p)
            }
        }
        return h
    }

    func outlierDetection(_ node: Node, _ path: String) throws -> OutlierDetectionConfig {
        var o = OutlierDetectionConfig()
        for (k, v) in try mapping(node, path, allowed: ["consecutiveFailures", "baseEjectionTime",
                                                        "maxEjectionTime", "maxEjectionPercent"]) {
            let p = "\(path).\(k)"
            switch k {
            case "consecutiveFailures": o.consecutiveFailures = try int(v, p, 0...1000)
            case "baseEjectionTime": o.baseEjectionTime = try positive(v, p)
            case "maxEjectionTime": o.maxEjectionTime = try positive(v, p)
            default: o.maxEjectionPercent = try int(v, p, 0...100)
            }
        }
        guard o.maxEjectionTime.nanoseconds >= o.baseEjectionTime.nanoseconds else {
            throw fail(node, "\(path).maxEjectionTime",
                       "\(o.maxEjectionTime) is shorter than baseEjectionTime (\(o.baseEjectionTime))")
        }
        return o
    }

    /// `package.Service` or `Service`: dot-separated identifiers.
    static func isServiceName(_ s: String) -> Bool {
        guard !s.isEmpty, !s.hasPrefix("."), !s.hasSuffix("."), !s.contains("..") else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E
        }
    }
}
