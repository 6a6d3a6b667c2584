import Testing
@testable import DataPlane

@Suite struct HeaderBlockTests {
    @Test func storesAndFindsFields() {
        var h = HeaderBlock([(":status", "200"), ("content-type", "application/grpc")])
        h.append(name: "x-trace-bin", value: "AAEC")
        #expect(h.count == 3)
        #expect(h.value(of: "content-type") == "application/grpc")
        #expect(h.index(ofName: "x-trace-bin") == 2)
        #expect(h.value(of: "grpc-status") == nil)
    }

    @Test func dropsHopByHopFieldsWhenForwarding() {
        let h = HeaderBlock([(":path", "/a.B/C"), ("connection", "close"), ("te", "trailers"),
                             ("keep-alive", "5"), ("transfer-encoding", "chunked"), ("upgrade", "h2c"),
                             ("proxy-connection", "x"), ("x-user", "1")])
        let names = h.withNameValueArray(including: HopByHop.isForwardable) { nva, n in
            (0..<n).map { String(decoding: UnsafeRawBufferPointer(start: nva[$0].name, count: nva[$0].namelen),
                                 as: UTF8.self) }
        }
        #expect(names == [":path", "te", "x-user"])
    }
}
