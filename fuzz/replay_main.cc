// Runs a fuzz target over files, without a fuzzer: the regression tests of the normal
// build. Each argument is a file or a directory of files (not recursive); every file is
// passed to the target once. Fails if a path cannot be read or holds no file.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& entry : fs::directory_iterator(argv[i], ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(argv[i]);
    }
    if (ec) {
      (void)std::fprintf(stderr, "%s: %s\n", argv[i], ec.message().c_str());
      return 2;
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        (void)std::fprintf(stderr, "%s: cannot be read\n", file.c_str());
        return 2;
      }
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  if (count == 0) {
    (void)std::fprintf(stderr, "no input files\n");
    return 2;
  }
  std::printf("%zu inputs ran without a failure\n", count);
  return 0;
}
