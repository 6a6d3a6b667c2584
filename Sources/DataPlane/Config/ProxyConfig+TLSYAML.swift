// The `tls` section of the config file: certificate pairs (one, or several
// chosen by SNI), client-certificate authentication and reloading.
import Yams

extension ConfigReader {
    static let tlsKeys = ["certificate", "privateKey", "certificates", "clientCA", "clientAuth", "reloadInterval"]

    func tls(_ node: Node, _ path: String) throws -> TLSConfig {
        var single: (certificate: String?, privateKey: String?, node: Node?) = (nil, nil, nil)
        var list: [TLSCertificateFiles]?
        var listNode: Node?
        var clientCA: String?
        var clientAuth: ClientAuthMode?
        var clientAuthNode: Node?
        var reloadInterval: ConfigDuration?
        for (k, v) in try mapping(node, path, allowed: Self.tlsKeys) {
            let p = "\(path).\(k)"
            switch k {
            case "certificate":
                single.certificate = try file(v, p)
                single.node = single.node ?? v
            case "privateKey":
                single.privateKey = try file(v, p)
                single.node = single.node ?? v
            case "certificates":
                listNode = v
                let items = try self.list(v, p)
                guard !items.isEmpty else { throw fail(v, p, "must list at least one certificate") }
                guard items.count <= 256 else { throw fail(v, p, "\(items.count) certificates is more than 256") }
                list = try items.enumerated().map { i, item in try pair(item, "\(p)[\(i)]") }
            case "clientCA":
                clientCA = try file(v, p)
            case "clientAuth":
                let text = try string(v, p)
                guard let mode = ClientAuthMode(rawValue: text) else {
                    let all = ClientAuthMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw fail(v, p, "unknown mode \"\(text)\" (expected one of: \(all))")
                }
                clientAuth = mode
                clientAuthNode = v
            default: // reloadInterval
                let d = try duration(v, p)
                guard d.nanoseconds == 0 || d.nanoseconds >= 10_000_000 else {
                    throw fail(v, p, "\(d) is too short (0 turns reloading off; else at least 10ms)")
                }
                reloadInterval = d
            }
        }

        var config: TLSConfig
        if let list {
            if single.certificate != nil || single.privateKey != nil {
                throw fail(single.node ?? listNode, "\(path).certificates",
                           "give either certificate/privateKey or certificates, not both")
            }
            config = TLSConfig(certificates: list)
            config.listsCertificates = true
        } else {
            guard let certificate = single.certificate else {
                throw fail(node, "\(path).certificate", "required when tls is set (or list tls.certificates)")
            }
            guard let privateKey = single.privateKey else {
                throw fail(node, "\(path).privateKey", "required when tls is set")
            }
            config = TLSConfig(certificate: certificate, privateKey: privateKey)
        }

        switch (clientAuth, clientCA) {
        case (.optional?, nil), (.require?, nil):
            throw fail(clientAuthNode, "\(path).clientAuth",
                       "\(clientAuth!.rawValue) needs tls.clientCA (the CA bundle client certificates are checked against)")
        case (.off?, _?):
            throw fail(clientAuthNode, "\(path).clientCA",
                       "set, but clientAuth is none: remove it or set clientAuth to optional or require")
        case (nil, _?):
            config.clientAuth = .require
        case (let mode?, _):
            config.clientAuth = mode
        case (nil, nil):
            config.clientAuth = .off
        }
        config.clientCA = clientCA
        if let reloadInterval { config.reloadInterval = reloadInterval }
        return config
    }

    private func pair(_ node: Node, _ path: String) throws -> TLSCertificateFiles {
        var certificate: String?
        var privateKey: String?
        for (k, v) in try mapping(node, path, allowed: ["certificate", "privateKey"]) {
            if k == "certificate" { certificate = try file(v, "\(path).certificate") }
            if k == "privateKey" { privateKey = try file(v, "\(path).privateKey") }
        }
        guard let certificate else { throw fail(node, "\(path).certificate", "required") }
        guard let privateKey else { throw fail(node, "\(path).privateKey", "required") }
        return TLSCertificateFiles(certificate: certificate, privateKey: privateKey)
    }

    private func file(_ node: Node, _ path: String) throws -> String {
        let text = try string(node, path)
        guard !text.isEmpty else { throw fail(node, path, "must not be empty") }
        return text
    }
}
