// Cuts a byte stream into newline-delimited lines as chunks arrive.
import Foundation

/// Accumulates bytes and hands out every complete line; the API server sends
/// one JSON watch event per line, and a chunk may end anywhere inside one.
struct LineSplitter {
    private var pending = Data()

    /// Appends a chunk and returns the lines it completed, without their
    /// `\n` (or `\r\n`); blank lines are dropped.
    mutating func append(_ chunk: UnsafeRawBufferPointer) -> [Data] {
        var lines: [Data] = []
        var start = 0
        for index in 0..<chunk.count where chunk[index] == UInt8(ascii: "\n") {
            if pending.isEmpty {
                appendLine(Data(chunk[start..<index]), to: &lines)
            } else {
                pending.append(contentsOf: chunk[start..<index])
                appendLine(pending, to: &lines)
                pending = Data()
            }
            start = index + 1
        }
        if start < chunk.count { pending.append(contentsOf: chunk[start...]) }
        return lines
    }

    /// Returns what is left after the last newline, if anything.
    mutating func finish() -> Data? {
        defer { pending = Data() }
        var rest = pending
        if rest.last == UInt8(ascii: "\r") { rest.removeLast() }
        return rest.isEmpty ? nil : rest
    }

    private func appendLine(_ line: Data, to lines: inout [Data]) {
        var line = line
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if !line.isEmpty { lines.append(line) }
    }
}
