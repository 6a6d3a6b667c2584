import Testing
@testable import DataPlane

@Suite struct ForwardedClientCertificateTests {
    @Test func envoyLayoutWithQuotingWhereNeeded() {
        let value = ForwardedClientCertificate.format(
            leafDER: Array("abc".utf8), subject: "CN=a \"b\",O=c", uris: ["spiffe://x/y", "https://h/p?q=1"],
            dnsNames: ["a.example", "b.example"], by: ["spiffe://proxy"])
        // sha256("abc")
        let hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(value == "By=spiffe://proxy;Hash=\(hash);Subject=\"CN=a \\\"b\\\",O=c\";"
                    + "URI=spiffe://x/y;URI=\"https://h/p?q=1\";DNS=a.example;DNS=b.example")
    }

    @Test func noSANsGiveHashAndSubjectOnly() {
        let value = ForwardedClientCertificate.format(leafDER: [], subject: "CN=client", uris: [], dnsNames: [], by: [])
        #expect(value == "Hash=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;Subject=\"CN=client\"")
    }

    @Test func bytesAHeaderCannotCarryAreEscaped() {
        #expect(ForwardedClientCertificate.quoted("CN=é\nx") == "\"CN=\\C3\\A9\\0Ax\"")
    }

    @Test func recognisesTheHeaderNameOnly() {
        func check(_ s: String) -> Bool {
            var s = s
            return s.withUTF8 { ForwardedClientCertificate.isHeader(UnsafeRawBufferPointer($0)) }
        }
        #expect(check("x-forwarded-client-cert"))
        #expect(!check("x-forwarded-client-cerT"))
        #expect(!check("x-forwarded-for"))
    }
}
