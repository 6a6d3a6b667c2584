// The TLS parts of the admin pages: certificates in force and reload counters.
import NIOCore

extension AdminPages {
    /// `,"tls_certificates":[…],"tls_client_auth":…` for /config_dump (empty without TLS).
    static func tlsConfigDump(_ proxy: Proxy) -> String {
        guard let store = proxy.tls else { return "" }
        let set = store.certificates
        let certificates = set.entries.enumerated().map { i, e in
            "{\"certificate\":\(j(e.files.certificate)),\"private_key\":\(j(e.files.privateKey)),"
                + "\"default\":\(i == 0),\"subject\":\(j(e.leaf.subject)),\"serial\":\(j(e.leaf.serial)),"
                + "\"not_after\":\(j(e.leaf.notAfterText)),"
                + "\"dns_names\":[\(e.leaf.dnsNames.map(j).joined(separator: ","))]}"
        }
        var out = ",\"tls_certificates\":[\(certificates.joined(separator: ","))]"
        out += ",\"tls_client_auth\":\(j(set.clientAuth.rawValue))"
        if let ca = store.config.clientCA {
            out += ",\"tls_client_ca\":{\"file\":\(j(ca)),\"subjects\":[\(set.clientCASubjects.map(j).joined(separator: ","))]}"
        }
        out += ",\"tls_reload_interval\":\(j(store.config.reloadInterval.description))"
        if let error = store.lastReloadError.withLockedValue({ $0 }) {
            out += ",\"tls_last_reload_error\":\(j(error))"
        }
        return out
    }

    /// TLS samples for /stats/prometheus (none without TLS).
    static func tlsMetrics(_ proxy: Proxy,
                           _ metric: (_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) -> Void) {
        guard let store = proxy.tls else { return }
        metric("portico_tls_certificate_reloads_total", "counter",
               "Certificate reloads applied after the files changed.",
               [("", store.reloads.load(ordering: .relaxed))])
        metric("portico_tls_certificate_reload_failures_total", "counter",
               "Changed certificate files refused (the previous certificates stayed in use).",
               [("", store.reloadFailures.load(ordering: .relaxed))])
        metric("portico_tls_handshake_failures_total", "counter",
               "Client TLS handshakes that failed (including rejected client certificates).",
               [("", store.handshakeFailures.load(ordering: .relaxed))])
        metric("portico_tls_certificate_not_after_seconds", "gauge",
               "Expiry (Unix time) of each certificate in use.",
               store.certificates.entries.map { e in
                   ("{certificate=\(j(e.files.certificate)),serial=\(j(e.leaf.serial))}", e.leaf.notAfter)
               })
    }
}
