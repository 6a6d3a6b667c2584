import Testing
@testable import DataPlane

@Suite struct GRPCRequestHeadTests {
    func head(_ pairs: [(String, String)]) -> GRPCRequestHead? { GRPCRequestHead(HeaderBlock(pairs)) }

    @Test func extractsServiceAndTimeout() throws {
        let h = try #require(head([(":method", "POST"), (":path", "/api.Echo/Echo"),
                                   ("content-type", "application/grpc+proto"), ("grpc-timeout", "200m")]))
        #expect(h.isPost)
        #expect(h.service == "api.Echo")
        #expect(h.timeout == .milliseconds(200))
    }

    @Test func nonGRPCIsNil() {
        #expect(head([(":method", "GET"), (":path", "/"), ("content-type", "text/html")]) == nil)
        #expect(head([(":method", "GET"), (":path", "/")]) == nil)
    }

    @Test(arguments: ["/", "/api.Echo", "/api.Echo/", "//Echo", "api.Echo/Echo"])
    func malformedPathHasNoService(path: String) throws {
        let h = try #require(head([(":method", "POST"), (":path", path), ("content-type", "application/grpc")]))
        #expect(h.service == nil)
    }

    @Test func timeouts() {
        func t(_ s: String) -> TimeAmountValue? {
            var s = s
            return s.withUTF8 { GRPCRequestHead.parseTimeout(UnsafeRawBufferPointer($0)).map { $0.nanoseconds } }
        }
        #expect(t("1H") == 3_600_000_000_000)
        #expect(t("2M") == 120_000_000_000)
        #expect(t("3S") == 3_000_000_000)
        #expect(t("4m") == 4_000_000)
        #expect(t("5u") == 5_000)
        #expect(t("6n") == 6)
        #expect(t("99999999m") == 99_999_999_000_000)
        #expect(t("123456789m") == nil)
        #expect(t("m") == nil)
        #expect(t("1x") == nil)
        #expect(t("-1m") == nil)
    }

    @Test func grpcMessageEncoding() {
        #expect(ProxyResponses.percentEncode("plain text") == "plain text")
        #expect(ProxyResponses.percentEncode("100%") == "100%25")
        #expect(ProxyResponses.percentEncode("héllo\n") == "h%C3%A9llo%0A")
    }
}

typealias TimeAmountValue = Int64
