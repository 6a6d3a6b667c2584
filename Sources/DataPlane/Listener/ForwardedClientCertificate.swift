// The x-forwarded-client-cert header (Envoy's XFCC format): the verified
// client certificate's identity, passed to backends; never taken from clients.
import Crypto
import NIOSSL
import X509

enum ForwardedClientCertificate {
    static let headerName = "x-forwarded-client-cert"

    /// Whether a request header is XFCC (names are lower case in HTTP/2).
    /// Called for every request header, so it compares bytes only when the
    /// length matches.
    @inline(__always)
    static func isHeader(_ name: UnsafeRawBufferPointer) -> Bool {
        name.count == 23 && name.equals("x-forwarded-client-cert")
    }

    /// `By=<uri>;…;Hash=<sha256 of the DER leaf>;Subject="<RFC 4514>";URI=<uri>;…;DNS=<name>;…`
    static func value(peer: NIOSSLCertificate, forwardedBy: [String]) throws -> String {
        let der = try peer.toDERBytes()
        let parsed = try Certificate(derEncoded: der)
        var uris: [String] = []
        var dns: [String] = []
        if let names = try parsed.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .uniformResourceIdentifier(let u): uris.append(u)
                case .dnsName(let d): dns.append(d)
                default: break
                }
            }
        }
        return format(leafDER: der, subject: parsed.subject.description, uris: uris, dnsNames: dns, by: forwardedBy)
    }

    static func format(leafDER: [UInt8], subject: String, uris: [String], dnsNames: [String], by: [String]) -> String {
        var parts: [String] = by.map { "By=" + element($0) }
        parts.append("Hash=" + hex(SHA256.hash(data: leafDER)))
        parts.append("Subject=" + quoted(subject))
        parts += uris.map { "URI=" + element($0) }
        parts += dnsNames.map { "DNS=" + element($0) }
        return parts.joined(separator: ";")
    }

    /// A value as XFCC writes it: double-quoted when it holds `,` `;` `=`
    /// or `"`. Bytes a header value must not carry are escaped too.
    static func element(_ value: String) -> String {
        let special = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") }
        return special ? quoted(value) : printable(value)
    }

    /// `"…"` with `"` written as `\"`.
    static func quoted(_ value: String) -> String {
        "\"" + printable(value).replacingAll("\"", with: "\\\"") + "\""
    }

    /// Bytes outside printable ASCII (control characters, UTF-8) as `\HH`,
    /// RFC 4514's escape: gRPC metadata values are printable ASCII.
    static func printable(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 > 0x7E }) else { return value }
        var out = ""
        for b in value.utf8 {
            if b < 0x20 || b > 0x7E {
                let h = String(b, radix: 16, uppercase: true)
                out += "\\" + (h.count == 1 ? "0" + h : h)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
