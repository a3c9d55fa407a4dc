// How much sandboxctl adds on top of parsing: loading, validating, resolving `extends` and
// compiling a workspace's profiles, against the baseline of reading and parsing the same
// TOML files with toml++ alone. Prints both and their ratio; asserts nothing about time.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "engine/plan/plan.h"
#include "engine/profile/catalog.h"

namespace {

namespace fs = std::filesystem;

const fs::path kWorkspace = fs::path(SANDBOXCTL_SOURCE_DIR) / "examples" / "agent";
const fs::path kBuiltin = fs::path(SANDBOXCTL_SOURCE_DIR) / "profiles";

std::vector<fs::path> ProfileFiles() {
  std::vector<fs::path> files;
  for (const auto& dir : {kWorkspace / ".sandboxctl", kBuiltin}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".toml") files.push_back(e.path());
    }
  }
  return files;
}

// cppcheck-suppress constParameterCallback ; Google Benchmark's signature takes a State&
void TomlParse(benchmark::State& state) {
  const auto files = ProfileFiles();
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): the loop variable of Google Benchmark's timing loop is never read
  for (auto _ : state) {
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      benchmark::DoNotOptimize(toml::parse(text.str(), f.string()));
    }
  }
}

void LoadAndCompile(benchmark::State& state) {
  sbx::CatalogOptions options;
  options.workspace = kWorkspace;
  options.builtin_dir = kBuiltin;
  options.cwd = kWorkspace;
  const sbx::Context context{sbx::Target::kLinux, "/home/dev/src/agent", "dev", "/home/dev", "/var/tmp/sandboxctl"};
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): the loop variable of Google Benchmark's timing loop is never read
  for (auto _ : state) {
    sbx::Catalog catalog = sbx::Catalog::Load(options);
    auto result = sbx::CompilePlan(catalog.InLayer(sbx::Layer::kWorkspace), context);
    if (!result.ok() || result.plan.resources.empty()) state.SkipWithError("the example did not compile");
    benchmark::DoNotOptimize(result);
  }
}

BENCHMARK(TomlParse)->Name("toml_parse");
BENCHMARK(LoadAndCompile)->Name("load_and_compile");

// Collects real time per iteration of each benchmark, to print the ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(OO_Tabular) {}  // plain text: it ends up in CI logs
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration && r.iterations > 0) {
        times_[r.run_name.str()] = r.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  const std::map<std::string, double>& times() const { return times_; }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto& t = reporter.times();
  if (!t.contains("toml_parse") || !t.contains("load_and_compile")) {
    std::cerr << "compile_bench: a benchmark did not run\n";
    return 1;
  }
  std::cout << "load_and_compile / toml_parse = " << t.at("load_and_compile") / t.at("toml_parse")
            << " (same run, same files)\n";
  return 0;
}
