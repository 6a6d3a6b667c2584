// The `--tls-*` flags: each replaces its `tls.*` key of the file.

extension ProxyCommandLine {
    func applyTLSFlags(to config: inout ProxyConfig) throws {
        func flagError(_ flag: String, _ problem: String) -> ConfigError {
            ConfigError(file: "command line", line: nil, path: flag, problem: problem)
        }
        if tlsCertificate != nil || tlsPrivateKey != nil {
            guard let c = tlsCertificate ?? config.tls?.certificate, let k = tlsPrivateKey ?? config.tls?.privateKey else {
                throw flagError("--tls-certificate/--tls-private-key", "both are required to enable TLS")
            }
            // The flags name the default pair; SNI pairs from the file stay.
            let pair = TLSCertificateFiles(certificate: c, privateKey: k)
            if config.tls == nil {
                config.tls = TLSConfig(certificate: c, privateKey: k)
            } else {
                config.tls!.certificates[0] = pair
            }
        }
        if tlsClientCA != nil || tlsClientAuth != nil || tlsReloadInterval != nil {
            guard config.tls != nil else {
                throw flagError("--tls-client-ca/--tls-client-auth/--tls-reload-interval",
                                "TLS is off: give --tls-certificate and --tls-private-key (or tls in the file)")
            }
        }
        if let tlsClientCA {
            guard !tlsClientCA.isEmpty else { throw flagError("--tls-client-ca", "must not be empty") }
            config.tls!.clientCA = tlsClientCA
            if tlsClientAuth == nil && config.tls!.clientAuth == .off { config.tls!.clientAuth = .require }
        }
        if let tlsClientAuth {
            guard let mode = ClientAuthMode(rawValue: tlsClientAuth) else {
                let all = ClientAuthMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw flagError("--tls-client-auth", "unknown mode \"\(tlsClientAuth)\" (expected one of: \(all))")
            }
            config.tls!.clientAuth = mode
        }
        if let tlsReloadInterval {
            guard let d = ConfigDuration(parsing: tlsReloadInterval), d.nanoseconds == 0 || d.nanoseconds >= 10_000_000
            else {
                throw flagError("--tls-reload-interval",
                                "expected 0 (off) or a duration of at least 10ms such as 5s, got \"\(tlsReloadInterval)\"")
            }
            config.tls!.reloadInterval = d
        }
        if let tls = config.tls {
            if tls.clientAuth != .off && tls.clientCA == nil {
                throw flagError("--tls-client-auth", "\(tls.clientAuth.rawValue) needs a client CA (--tls-client-ca or tls.clientCA)")
            }
            if tls.clientAuth == .off && tls.clientCA != nil {
                throw flagError("--tls-client-auth", "none, but a client CA is set: remove it or use optional or require")
            }
        }
    }
}
