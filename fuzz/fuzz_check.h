// The fuzz targets' oracle: a property that must hold for every input. A violation
// aborts, which the fuzzer reports as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SBX_FUZZ_CHECK(condition)                                                                   \
  do {                                                                                              \
    if (!(condition)) {                                                                             \
      (void)std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (0)
