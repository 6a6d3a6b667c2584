// Runs libFuzzer with this target's input callback.
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

exit(portico_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
