import Testing
@testable import DataPlane

@Suite struct ProxyConfigTLSTests {
    static let clusters = "clusters:\n  - name: a\n    grpcServices: [api.A]\n    endpoints: [127.0.0.1:1]\n"

    func parse(_ tls: String) throws -> TLSConfig? {
        try ProxyConfig.parse(yaml: "tls:\n" + tls + Self.clusters, file: "p.yaml").tls
    }

    func error(_ tls: String) -> ConfigError? {
        do {
            _ = try parse(tls)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func singlePairKeepsItsMeaningWithDefaults() throws {
        let tls = try #require(try parse("  certificate: /tls/tls.crt\n  privateKey: /tls/tls.key\n"))
        #expect(tls.certificates == [TLSCertificateFiles(certificate: "/tls/tls.crt", privateKey: "/tls/tls.key")])
        #expect(tls.certificate == "/tls/tls.crt" && tls.privateKey == "/tls/tls.key")
        #expect(tls.clientAuth == .off && tls.clientCA == nil)
        #expect(tls.reloadInterval == .seconds(5))
    }

    @Test func severalPairsClientAuthAndReloadInterval() throws {
        let tls = try #require(try parse("""
              certificates:
                - {certificate: a.crt, privateKey: a.key}
                - certificate: b.crt
                  privateKey: b.key
              clientCA: ca.pem
              clientAuth: optional
              reloadInterval: 250ms

            """))
        #expect(tls.certificates.map(\.certificate) == ["a.crt", "b.crt"])
        #expect(tls.certificate == "a.crt")
        #expect(tls.clientCA == "ca.pem" && tls.clientAuth == .optional)
        #expect(tls.reloadInterval == .milliseconds(250))
        // A CA alone means require; 0 turns reloading off.
        let strict = try #require(try parse("  certificate: a\n  privateKey: b\n  clientCA: ca.pem\n  reloadInterval: 0\n"))
        #expect(strict.clientAuth == .require)
        #expect(strict.reloadInterval.nanoseconds == 0)
    }

    @Test(arguments: [
        ("  certificate: a.crt\n", "tls.privateKey", "required"),
        ("  privateKey: a.key\n", "tls.certificate", "required"),
        ("  certificate: \"\"\n  privateKey: a.key\n", "tls.certificate", "must not be empty"),
        ("  certificate: a\n  privateKey: b\n  clientAuth: require\n", "tls.clientAuth", "needs tls.clientCA"),
        ("  certificate: a\n  privateKey: b\n  clientAuth: optional\n", "tls.clientAuth", "needs tls.clientCA"),
        ("  certificate: a\n  privateKey: b\n  clientAuth: always\n  clientCA: c\n", "tls.clientAuth",
         "unknown mode \"always\" (expected one of: none, optional, require)"),
        ("  certificate: a\n  privateKey: b\n  clientAuth: none\n  clientCA: c\n", "tls.clientCA", "clientAuth is none"),
        ("  certificate: a\n  privateKey: b\n  reloadInterval: 1ms\n", "tls.reloadInterval", "too short"),
        ("  certificate: a\n  privateKey: b\n  reloadInterval: often\n", "tls.reloadInterval", "expected a duration"),
        ("  certificates: []\n", "tls.certificates", "at least one"),
        ("  certificates: [{certificate: a}]\n", "tls.certificates[0].privateKey", "required"),
        ("  certificates: [{privateKey: a}]\n", "tls.certificates[0].certificate", "required"),
        ("  certificates: [{certificate: a, privateKey: b, ca: c}]\n", "tls.certificates[0].ca", "unknown key"),
        ("  certificate: a\n  privateKey: b\n  certificates: [{certificate: a, privateKey: b}]\n",
         "tls.certificates", "not both"),
        ("  cert: a\n", "tls.cert", "unknown key"),
    ])
    func refusesBadTLSNamingTheKey(tls: String, path: String, problem: String) throws {
        let e = try #require(error(tls))
        #expect(e.path == path, "\(e)")
        #expect(e.problem.contains(problem), "\(e)")
        #expect(e.line != nil, "\(e)")
    }

    @Test func flagsReplaceTheDefaultPairAndTheClientSettings() throws {
        func load(_ flags: ProxyCommandLine) throws -> TLSConfig? { try flags.load().tls }
        var flags = ProxyCommandLine(file: nil, listen: nil, tlsCertificate: "c.crt", tlsPrivateKey: "c.key",
                                     admin: nil, health: nil, workers: nil, membershipSocket: "/s", accessLog: nil,
                                     tlsClientCA: "ca.pem", tlsClientAuth: nil, tlsReloadInterval: "1s")
        let tls = try #require(try load(flags))
        #expect(tls.certificate == "c.crt" && tls.clientCA == "ca.pem" && tls.clientAuth == .require)
        #expect(tls.reloadInterval == .seconds(1))
        flags.tlsClientAuth = "sometimes"
        #expect(throws: ConfigError.self) { try load(flags) }
        flags.tlsClientAuth = "none"
        #expect(throws: ConfigError.self) { try load(flags) }
        flags = ProxyCommandLine(file: nil, listen: nil, tlsCertificate: nil, tlsPrivateKey: nil, admin: nil,
                                 health: nil, workers: nil, membershipSocket: "/s", accessLog: nil, tlsClientCA: "ca.pem")
        #expect(throws: ConfigError.self) { try load(flags) }
    }
}
