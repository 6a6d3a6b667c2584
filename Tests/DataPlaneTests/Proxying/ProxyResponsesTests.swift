import Testing
@testable import DataPlane

@Suite struct ProxyResponsesTests {
    /// The gRPC HTTP/2 spec's mapping of a backend's RST_STREAM codes.
    @Test(arguments: [(UInt32(0x7), GRPCStatusCode.unavailable), (0x8, .cancelled), (0xb, .resourceExhausted),
                      (0xc, .permissionDenied), (0x1, .internal), (0x2, .internal), (0xd, .internal)])
    func resetCodesMapToGRPCStatuses(code: UInt32, status: GRPCStatusCode) {
        #expect(ProxyResponses.status(forResetCode: code) == status)
    }

    @Test func statusMessagesArePercentEncoded() {
        #expect(ProxyResponses.percentEncode("plain text 100") == "plain text 100")
        #expect(ProxyResponses.percentEncode("50% off\n") == "50%25 off%0A")
        #expect(ProxyResponses.percentEncode("é") == "%C3%A9")
        let h = ProxyResponses.trailersOnly(.unavailable, "no endpoint")
        #expect(h.value(of: ":status") == "200")
        #expect(h.value(of: "grpc-status") == "14")
        #expect(h.value(of: "grpc-message") == "no endpoint")
    }
}
