// Fuzz target: a workspace's profile files, `extends` resolution across them and the
// built-in profiles, and compiling each resolved profile for Linux and Windows. Every
// resource and launch spec of a plan must read back as itself: the privileged side reads
// them from JSON.
//
// The input is one or more files: a line "#@file NAME" (a TOML comment) starts the file
// .sandboxctl/NAME.toml; text before the first such line goes to .sandboxctl/fuzz.toml.
// At most 8 files; a NAME that is not a profile name is skipped.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/plan/plan.h"
#include "engine/profile/catalog.h"
#include "engine/profile/profile.h"
#include "fuzz/fuzz_check.h"

namespace fs = std::filesystem;

namespace {

// One private workspace per process, removed when the process exits.
struct ScratchWorkspace {
  fs::path dir;
  ScratchWorkspace() {
    std::string pattern = (fs::temp_directory_path() / "sandboxctl-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    dir = pattern;
    fs::create_directory(dir / sbx::kWorkspaceProfileDir);
  }
  ~ScratchWorkspace() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const fs::path& Workspace() {
  static const ScratchWorkspace scratch;
  return scratch.dir;
}

std::vector<std::pair<std::string, std::string>> SplitFiles(std::string_view input) {
  std::vector<std::pair<std::string, std::string>> files{{"fuzz", ""}};
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(pos, end - pos);
    if (line.substr(0, 7) == "#@file ") {
      if (files.size() >= 8) break;
      files.emplace_back(std::string(line.substr(7)), "");
    } else {
      files.back().second.append(line);
      if (end < input.size()) files.back().second += '\n';
    }
    pos = end + 1;
  }
  return files;
}

void Compile(const sbx::Profile& profile, sbx::Target target) {
  sbx::Context context;
  context.target = target;
  const bool win = target == sbx::Target::kWindows;
  context.workspace = win ? "C:\\src\\app" : Workspace().string();
  context.user = "dev";
  context.home = win ? "C:\\Users\\dev" : "/home/dev";
  context.tmp_root = sbx::DefaultTmpRoot(target);
  const sbx::CompileResult result = sbx::CompilePlan({&profile}, context);
  if (!result.ok()) return;
  for (const auto& r : result.plan.resources) {
    const nlohmann::json j = sbx::ResourceToJson(r);
    const auto back = sbx::ResourceFromJson(j);
    if (!back.ok()) (void)std::fprintf(stderr, "%s\n%s\n", back.error().Render().c_str(), j.dump(2).c_str());
    SBX_FUZZ_CHECK(back.ok());
    SBX_FUZZ_CHECK(sbx::ResourceToJson(*back) == j);
  }
  for (const auto& l : result.plan.launches) {
    const nlohmann::json j = sbx::LaunchSpecToJson(l);
    const auto back = sbx::LaunchSpecFromJson(j, target);
    if (!back.ok()) (void)std::fprintf(stderr, "%s\n%s\n", back.error().Render().c_str(), j.dump(2).c_str());
    SBX_FUZZ_CHECK(back.ok());
    SBX_FUZZ_CHECK(sbx::LaunchSpecToJson(*back) == j);
  }
  sbx::PlanToJson(result.plan).dump();
  sbx::RenderPlanText(result.plan);
  if (win) sbx::RenderPowerShell(result.plan);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > size_t{64} * 1024) return -1;
  const fs::path dir = Workspace() / sbx::kWorkspaceProfileDir;
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove(entry.path());
  for (const auto& [name, text] : SplitFiles(std::string_view(reinterpret_cast<const char*>(data), size))) {
    if (!sbx::IsValidProfileName(name)) continue;
    std::ofstream(dir / (name + ".toml"), std::ios::binary) << text;
  }
  sbx::CatalogOptions options;
  options.workspace = Workspace();
  options.builtin_dir = fs::path(SANDBOXCTL_SOURCE_DIR) / "profiles";
  options.cwd = Workspace();
  const sbx::Catalog catalog = sbx::Catalog::Load(options);
  for (const auto& d : catalog.diagnostics()) SBX_FUZZ_CHECK(!sbx::RenderDiagnostic(d, catalog.sources()).empty());
  for (const auto& profile : catalog.profiles()) {
    if (profile.layer != sbx::Layer::kWorkspace) continue;  // the built-ins are the same every time
    Compile(profile, sbx::Target::kLinux);
    Compile(profile, sbx::Target::kWindows);
  }
  return 0;
}
