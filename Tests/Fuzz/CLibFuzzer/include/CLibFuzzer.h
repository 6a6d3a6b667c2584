// libFuzzer's entry point for programs that have their own main function
// (SwiftPM gives every executable one). The fuzzer runtime comes from
// `-sanitize=fuzzer`; each target defines LLVMFuzzerTestOneInput in Swift
// (`@_cdecl`).
#ifndef PORTICO_CLIBFUZZER_H
#define PORTICO_CLIBFUZZER_H

/// Runs libFuzzer on the target's LLVMFuzzerTestOneInput with the process's arguments.
int portico_fuzz_main(int argc, char **argv);

#endif
