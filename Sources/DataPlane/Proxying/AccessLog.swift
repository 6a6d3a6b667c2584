// One JSON line per finished RPC on stdout, when `accessLog: true`.
import NIOCore

enum AccessLog {
    static func write(_ s: ProxyStream, resetCode: UInt32) {
        let path = s.request.value(of: ":path") ?? ""
        let micros = s.startedAt.map { (NIODeadline.now() - $0).nanoseconds / 1000 } ?? 0
        let status = s.grpcStatus ?? (resetCode == 0 ? "" : "reset:\(resetCode)")
        let line = "{\"method\":\(json(path)),\"grpc_status\":\(json(status)),\"cluster\":\(json(s.cluster.config.name)),"
            + "\"upstream\":\(json(s.lastEndpointName ?? "")),\"duration_us\":\(micros),"
            + "\"request_bytes\":\(s.requestBytes),\"response_bytes\":\(s.responseBytes)}"
        print(line)
    }

    static func json(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += "\\u00" + String(u.value, radix: 16).leftPadded(2)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
