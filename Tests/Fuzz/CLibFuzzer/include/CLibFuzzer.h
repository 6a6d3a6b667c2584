// libFuzzer's entry point for programs that have their own main function
// (SwiftPM gives every executable one). The fuzzer runtime comes from
// `-sanitize=fuzzer`.
#ifndef PORTICO_CLIBFUZZER_H
#define PORTICO_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
