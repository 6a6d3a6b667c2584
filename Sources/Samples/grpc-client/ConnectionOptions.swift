// The flags saying where to connect and how to call.

import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices

/// Flags shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The server to call, host:port.")
    var target: String = "127.0.0.1:8443"

    @Flag(help: "Use TLS (the default when --ca is given).")
    var tls: Bool = false

    @Flag(help: "Use HTTP/2 over cleartext (h2c).")
    var plaintext: Bool = false

    @Option(help: "PEM file of the roots to trust for TLS (default: the system's).")
    var ca: String?

    @Option(help: "The :authority, also the TLS SNI and verified server name (e.g. grpc.example.com).")
    var authority: String?

    @Option(help: "How many times to make the call, over one connection.")
    var count: Int = 1

    @Option(name: [.customShort("H"), .long],
            help: "Request metadata 'key: value' (repeatable), e.g. -H 'x-fail-code: 14'.")
    var header: [String] = []

    @Option(help: "Deadline of each call in milliseconds.")
    var timeoutMs: Int?

    func validate() throws {
        if self.tls && self.plaintext {
            throw ValidationError("--tls and --plaintext exclude each other.")
        }
        if self.plaintext && self.ca != nil {
            throw ValidationError("--ca needs TLS; drop --plaintext.")
        }
        if self.count < 1 {
            throw ValidationError("--count must be at least 1.")
        }
        _ = try self.hostAndPort()
        _ = try self.metadata()
    }

    /// The client configuration the flags describe.
    func clientConfiguration() throws -> SampleClientConfiguration {
        let (host, port) = try self.hostAndPort()
        let useTLS = self.tls || (!self.plaintext && self.ca != nil)
        return SampleClientConfiguration(
            host: host,
            port: port,
            security: useTLS ? .tls(trustRootsFile: self.ca) : .plaintext,
            authority: self.authority
        )
    }

    /// The per-call options (deadline).
    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = self.timeoutMs.map { .milliseconds($0) }
        return options
    }

    /// The `--header` flags as request metadata.
    func metadata() throws -> Metadata {
        var metadata: Metadata = [:]
        for header in self.header {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header '\(header)' is not 'key: value'.")
            }
            let key = header[..<colon].trimmingCharacters(in: " ").lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: " ")
            if key.hasSuffix("-bin") {
                metadata.addBinary(Array(value.utf8), forKey: key)
            } else {
                metadata.addString(value, forKey: key)
            }
        }
        return metadata
    }

    private func hostAndPort() throws -> (String, Int) {
        // The last colon splits, so "[::1]:8443" keeps its brackets' content.
        guard let colon = self.target.lastIndex(of: ":"),
              let port = Int(self.target[self.target.index(after: colon)...])
        else {
            throw ValidationError("--target '\(self.target)' is not host:port.")
        }
        var host = String(self.target[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        return (host, port)
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(self.drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
