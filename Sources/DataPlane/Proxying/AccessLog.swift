// One JSON line per finished RPC on stdout, when `accessLog: true`. Each
// worker gathers its lines and writes them in batches, so that logging takes
// no lock and one write(2) carries many lines.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

enum AccessLog {
    static func write(_ s: ProxyStream, resetCode: UInt32) {
        let path = s.request.value(of: ":path") ?? ""
        let status = s.grpcStatus ?? (resetCode == 0 ? "" : "reset:\(resetCode)")
        let line = "{\"method\":\(json(path)),\"grpc_status\":\(json(status)),\"cluster\":\(json(s.cluster.config.name)),"
            + "\"upstream\":\(json(s.lastEndpointName ?? "")),\"duration_us\":\(s.durationNanoseconds / 1000),"
            + "\"request_bytes\":\(s.requestBytes),\"response_bytes\":\(s.responseBytes)}\n"
        s.worker.accessLog.append(line)
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

/// A worker's pending access log lines: written when 16 KiB have gathered,
/// 200 ms after the first of a batch, and at shutdown.
final class AccessLogWriter {
    private let eventLoop: EventLoop
    private var pending: [UInt8] = []
    private var timer: Scheduled<Void>?

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    func append(_ line: String) {
        pending.append(contentsOf: line.utf8)
        if pending.count >= 16 << 10 {
            flush()
        } else if timer == nil {
            timer = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(200)) { [weak self] in
                self?.timer = nil
                self?.flush()
            }
        }
    }

    func flush() {
        timer?.cancel()
        timer = nil
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = systemWrite(1, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break   // stdout is gone: drop the lines rather than block the loop
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}

private let systemWrite = write

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
