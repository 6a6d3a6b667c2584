// Makes the same call --count times over one connection and prints a line each.

import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import SampleServices

/// What one call produced, ready to print.
struct CallOutcome: Sendable {
    /// `key=value` fields describing the response, e.g. `content="hi"`.
    var fields: String
    /// The RPC's failure, if it failed.
    var error: RPCError?
    /// The `hostname` the answering instance reported, if any.
    var hostname: String?

    /// Reads the outcome of a unary call from its response.
    init<Message>(_ response: ClientResponse<Message>, describe: (Message) -> String) {
        switch response.accepted {
        case .success(let contents):
            let hostname = Self.hostname(in: contents.metadata) ?? Self.hostname(in: contents.trailingMetadata)
            switch contents.message {
            case .success(let message):
                self.init(fields: describe(message), error: nil, hostname: hostname)
            case .failure(let error):
                self.init(fields: "", error: error, hostname: hostname)
            }
        case .failure(let error):
            self.init(error)
        }
    }

    /// The outcome of a call that failed before it had a response.
    init(_ error: RPCError) {
        self.init(fields: "", error: error, hostname: Self.hostname(in: error.metadata))
    }

    private init(fields: String, error: RPCError?, hostname: String?) {
        self.fields = fields
        self.error = error
        self.hostname = hostname
    }

    /// The printed line: `<method>  <fields>  hostname=<name>`, or with
    /// `error=<STATUS>  message="..."` in place of the fields.
    func line(method: String) -> String {
        var parts = [method]
        if let error = self.error {
            parts.append("error=\(error.code.statusName)")
            parts.append("message=\(error.message.quoted)")
        } else {
            parts.append(self.fields)
        }
        parts.append("hostname=\(self.hostname ?? "-")")
        return parts.joined(separator: "  ")
    }

    private static func hostname(in metadata: Metadata) -> String? {
        metadata[stringValues: SampleMetadataKey.hostname].first { _ in true }
    }
}

extension ConnectionOptions {
    /// Runs `call` `--count` times on one client and prints each outcome;
    /// exits with status 1 if any call failed.
    func run(
        method: String,
        _ call: @Sendable @escaping (GRPCClient<HTTP2ClientTransport.Posix>, ClientRequestOptions) async throws -> CallOutcome
    ) async throws {
        let transport = try self.clientConfiguration().makeTransport()
        let request = ClientRequestOptions(metadata: try self.metadata(), options: self.callOptions)
        let failures = try await withGRPCClient(transport: transport) { client in
            var failures = 0
            for _ in 0..<self.count {
                let outcome: CallOutcome
                do {
                    outcome = try await call(client, request)
                } catch let error as RPCError {
                    outcome = CallOutcome(error)
                }
                if outcome.error != nil { failures += 1 }
                print(outcome.line(method: method))
            }
            return failures
        }
        if failures > 0 {
            throw ExitCode(1)
        }
    }
}

/// The metadata and options every call is made with.
struct ClientRequestOptions: Sendable {
    var metadata: Metadata
    var options: CallOptions
}

extension String {
    /// The string in double quotes, with `"`, `\` and control characters
    /// escaped; other Unicode is printed as is.
    var quoted: String {
        var result = "\""
        for scalar in self.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
