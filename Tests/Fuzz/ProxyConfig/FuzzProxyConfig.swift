// libFuzzer target: arbitrary bytes as a proxy config file. Every input must
// parse or be refused with a ConfigError; nothing may crash or hang.
import DataPlane

// Also libFuzzer\'s own name for the callback, in case its main is the one linked.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzProxyConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let config = try ProxyConfig.parse(yaml: text, file: "fuzz.yaml")
        // Whatever parses must be usable as parsed.
        precondition(!config.clusters.isEmpty || config.membershipSocket != nil)
        precondition((1...256).contains(config.workers))
    } catch is ConfigError {
        // Refused with a located message: the expected outcome.
    } catch {
        fatalError("the config parser threw something other than a ConfigError: \(error)")
    }
    return 0
}
