// The TLS material in force at one moment: a server context per certificate
// pair, and the SNI table that picks one for a ClientHello. Immutable; a
// reload builds a whole new set and swaps it in.
import Atomics
import NIOSSL
import X509

/// What the admin pages and logs show of one certificate.
struct CertificateSummary: Sendable {
    var subject: String
    /// Hex, upper case, as `openssl x509 -serial` prints it.
    var serial: String
    /// Unix seconds.
    var notAfter: Int
    var dnsNames: [String]
    var uris: [String]

    var notAfterText: String { UTCTime.iso8601(notAfter) }
}

final class TLSCertificateSet: AtomicReference, Sendable {
    struct Entry: Sendable {
        var files: TLSCertificateFiles
        var context: NIOSSLContext
        var leaf: CertificateSummary
        /// `By=` elements of the XFCC header: this certificate's URI SANs.
        var forwardedBy: [String]
    }

    let entries: [Entry]
    let clientAuth: ClientAuthMode
    let clientCASubjects: [String]
    private let exact: [String: Int]
    /// `example.com` for a `*.example.com` SAN.
    private let wildcard: [String: Int]

    private init(entries: [Entry], clientAuth: ClientAuthMode, clientCASubjects: [String]) {
        self.entries = entries
        self.clientAuth = clientAuth
        self.clientCASubjects = clientCASubjects
        var exact: [String: Int] = [:]
        var wildcard: [String: Int] = [:]
        // The first certificate listed for a name wins.
        for (i, e) in entries.enumerated() {
            for name in e.leaf.dnsNames {
                let n = name.lowercased()
                if n.hasPrefix("*.") {
                    let parent = String(n.dropFirst(2))
                    if wildcard[parent] == nil { wildcard[parent] = i }
                } else if exact[n] == nil {
                    exact[n] = i
                }
            }
        }
        self.exact = exact
        self.wildcard = wildcard
    }

    /// The entry for a ClientHello's server name: an exact SAN first, then a
    /// wildcard SAN covering its first label, else the first (default) pair.
    func index(forServerName name: String?) -> Int {
        guard var name, !name.isEmpty else { return 0 }
        if name.hasSuffix(".") { name.removeLast() }
        name = name.lowercased()
        if let i = exact[name] { return i }
        if let dot = name.firstIndex(of: "."), let i = wildcard[String(name[name.index(after: dot)...])] { return i }
        return 0
    }

    // MARK: Loading

    /// Builds a set from file contents already read (so that what was
    /// compared for changes is exactly what gets loaded).
    static func load(_ config: TLSConfig, files: TLSFileContents) throws(TLSLoadError) -> TLSCertificateSet {
        var clientCA: [NIOSSLCertificate] = []
        var caSubjects: [String] = []
        if let path = config.clientCA {
            let bytes = files[path]!
            do {
                clientCA = try NIOSSLCertificate.fromPEMBytes(bytes)
            } catch {
                throw TLSLoadError(key: config.key(naming: path), file: path, problem: "not PEM certificates (\(error))")
            }
            guard !clientCA.isEmpty else {
                throw TLSLoadError(key: config.key(naming: path), file: path, problem: "holds no PEM certificate")
            }
            for ca in clientCA {
                caSubjects.append((try? summary(of: ca).subject) ?? "?")
            }
        }
        var entries: [Entry] = []
        for (i, pair) in config.certificates.enumerated() {
            entries.append(try entry(pair, keys: config.keys(ofPair: i), files: files, config: config,
                                     clientCA: clientCA))
        }
        return TLSCertificateSet(entries: entries, clientAuth: config.clientAuth, clientCASubjects: caSubjects)
    }

    private static func entry(_ pair: TLSCertificateFiles, keys: (certificate: String, privateKey: String),
                              files: TLSFileContents, config: TLSConfig,
                              clientCA: [NIOSSLCertificate]) throws(TLSLoadError) -> Entry {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(files[pair.certificate]!)
        } catch {
            throw TLSLoadError(key: keys.certificate, file: pair.certificate, problem: "not a PEM certificate (\(error))")
        }
        guard let leaf = chain.first else {
            throw TLSLoadError(key: keys.certificate, file: pair.certificate, problem: "holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: files[pair.privateKey]!, format: .pem)
        } catch {
            throw TLSLoadError(key: keys.privateKey, file: pair.privateKey,
                               problem: "not an unencrypted PEM private key (\(error))")
        }
        let summary: CertificateSummary
        let parsed: Certificate
        do {
            (summary, parsed) = try Self.describe(leaf)
        } catch {
            throw TLSLoadError(key: keys.certificate, file: pair.certificate, problem: "cannot be parsed (\(error))")
        }
        // Name a mismatch plainly when the key type is one swift-certificates
        // reads; the TLS context below catches the rest.
        if let parsedKey = try? Certificate.PrivateKey(pemEncoded: String(decoding: files[pair.privateKey]!, as: UTF8.self)),
           parsedKey.publicKey != parsed.publicKey {
            throw TLSLoadError(key: keys.privateKey, file: pair.privateKey,
                               problem: "does not match the certificate in \(pair.certificate) (another key pair)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        TLSPolicy.apply(to: &tls)
        switch config.clientAuth {
        case .off:
            tls.certificateVerification = .none
        case .optional:
            tls.certificateVerification = .optionalVerification
        case .require:
            tls.certificateVerification = .noHostnameVerification
        }
        if config.clientAuth != .off {
            tls.trustRoots = .certificates(clientCA)
            tls.sendCANameList = true
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw TLSLoadError(key: keys.privateKey, file: pair.privateKey,
                               problem: "does not make a usable pair with the certificate in \(pair.certificate) "
                                   + "(is it that certificate's key?) (\(error))")
        }
        return Entry(files: pair, context: context, leaf: summary, forwardedBy: summary.uris)
    }

    static func summary(of certificate: NIOSSLCertificate) throws -> CertificateSummary {
        try describe(certificate).summary
    }

    private static func describe(_ certificate: NIOSSLCertificate) throws -> (summary: CertificateSummary, parsed: Certificate) {
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        var dns: [String] = []
        var uris: [String] = []
        if let names = try parsed.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let n): dns.append(n)
                case .uniformResourceIdentifier(let u): uris.append(u)
                default: break
                }
            }
        }
        let serial = certificate.serialNumber.map { b in
            let h = String(b, radix: 16, uppercase: true)
            return h.count == 1 ? "0" + h : h
        }.joined()
        return (CertificateSummary(subject: parsed.subject.description, serial: serial,
                                   notAfter: Int(certificate.notValidAfter), dnsNames: dns, uris: uris), parsed)
    }
}

/// A certificate, key or CA file that cannot be used, and why.
struct TLSLoadError: Error, CustomStringConvertible {
    /// The config key naming the file, e.g. `tls.certificates[1].privateKey`.
    var key: String
    var file: String
    var problem: String

    var description: String { "\(key) \(file): \(problem)" }
}

extension TLSConfig {
    /// The config keys of pair `i`'s two files.
    func keys(ofPair i: Int) -> (certificate: String, privateKey: String) {
        let prefix = listsCertificates ? "tls.certificates[\(i)]." : "tls."
        return (prefix + "certificate", prefix + "privateKey")
    }

    /// The config key that names `file` (the first one, if several do).
    func key(naming file: String) -> String {
        if clientCA == file { return "tls.clientCA" }
        for (i, pair) in certificates.enumerated() {
            if pair.certificate == file { return keys(ofPair: i).certificate }
            if pair.privateKey == file { return keys(ofPair: i).privateKey }
        }
        return "tls"
    }
}

/// The bytes of every file a TLS config names, keyed by path.
typealias TLSFileContents = [String: [UInt8]]

/// The listener's protocol policy: TLS 1.2 or later; for TLS 1.2 only
/// ECDHE key exchange with AEAD ciphers (TLS 1.3's suites all qualify);
/// ALPN `h2`, and `http/1.1` so HTTP/1 clients get a readable error
/// instead of a handshake failure.
enum TLSPolicy {
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ]

    static func apply(to tls: inout TLSConfiguration) {
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuites = tls12CipherSuites.joined(separator: ":")
        tls.applicationProtocols = ["h2", "http/1.1"]
    }
}
