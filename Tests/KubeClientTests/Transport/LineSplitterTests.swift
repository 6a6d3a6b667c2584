// Newline splitting of streamed watch bodies, whatever the chunk boundaries.
import Foundation
import Testing
@testable import KubeClient

@Suite struct LineSplitterTests {
    private func split(_ chunks: [String]) -> [String] {
        var splitter = LineSplitter()
        var lines: [String] = []
        for chunk in chunks {
            let bytes = Array(chunk.utf8)
            lines += bytes.withUnsafeBytes { splitter.append($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        if let rest = splitter.finish() { lines.append(String(decoding: rest, as: UTF8.self)) }
        return lines
    }

    @Test func linesAcrossChunkBoundaries() {
        #expect(split(["{\"a\":1}\n{\"b\"", ":2}\n", "{\"c\":3}"]) == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
    }

    @Test func crlfAndBlankLinesAreDropped() {
        #expect(split(["one\r\n\r\n", "\ntwo\r", "\n"]) == ["one", "two"])
    }

    @Test func oneByteAtATime() {
        let text = "first\nsecond\n"
        #expect(split(text.map { String($0) }) == ["first", "second"])
    }
}
