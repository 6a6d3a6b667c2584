// Runs libFuzzer with this target's input callback.
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    return fuzzMembershipFrames(data, size)
}
exit(status)
