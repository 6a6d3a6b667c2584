// Unbuffered line output for the lines that tests wait for.

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writes whole lines straight to a file descriptor.
///
/// Tests read the output of the sample processes line by line while they run,
/// so a line must never sit in a stdio buffer; one `write(2)` per line also
/// keeps lines from concurrent RPCs from interleaving.
public enum StandardStreams {
    /// Writes `line` and a newline to standard output.
    public static func printLine(_ line: String) {
        write(line: line, to: 1)
    }

    /// Writes `line` and a newline to standard error.
    public static func printErrorLine(_ line: String) {
        write(line: line, to: 2)
    }

    private static func write(line: String, to descriptor: Int32) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return  // Nowhere left to report a broken output stream.
            }
            offset += written
        }
    }
}
