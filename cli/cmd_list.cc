// sandboxctl list: the profiles this workspace can use, where each comes from.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/common.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunList(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  po::options_description specific("list options");
  po::positional_options_description positional;
  if (!ParseCommandLine("list", args, specific, positional, g,
                        "sandboxctl list\n\n"
                        "Lists the profiles found for the workspace (.sandboxctl/), the machine\n"
                        "(/etc/sandboxctl) and the built-in ones: name, origin, user, network mode.\n"
                        "A profile hides one of the same name in a later layer.",
                        io.out)) {
    return kExitOk;
  }
  const auto ws = ResolveWorkspace(g);
  Catalog catalog = Catalog::Load(CatalogFor(g, ws));
  nlohmann::json rows = nlohmann::json::array();
  std::vector<const Profile*> profiles;
  for (const auto& p : catalog.profiles()) profiles.push_back(&p);
  std::stable_sort(profiles.begin(), profiles.end(), [](const Profile* a, const Profile* b) {
    return std::tie(a->name, a->layer) < std::tie(b->name, b->layer);
  });
  for (const Profile* p : profiles) {
    const Profile* effective = catalog.Find(p->name);
    rows.push_back({{"name", p->name},
                    {"origin", p->origin},
                    {"layer", LayerName(p->layer)},
                    {"user", p->UserName()},
                    {"network", NetworkModeName(p->Mode())},
                    {"extends", p->extends_chain},
                    {"description", p->settings.description ? p->settings.description->value : ""},
                    {"shadowed_by", effective != p ? nlohmann::json(effective->origin) : nlohmann::json(nullptr)}});
  }
  const bool ok = !HasErrors(catalog.diagnostics());
  if (g.json) {
    io.out << nlohmann::json{{"workspace", ws.string()},
                             {"profiles", rows},
                             {"diagnostics", DiagnosticsToJson(catalog.diagnostics())}}
                  .dump(2)
           << "\n";
    return ok ? kExitOk : kExitFailure;
  }
  PrintDiagnostics(catalog.diagnostics(), catalog.sources(), io.err);
  size_t w_name = 7, w_origin = 6, w_user = 4;
  for (const auto& r : rows) {
    w_name = std::max(w_name, r["name"].get<std::string>().size());
    w_origin = std::max(w_origin, r["origin"].get<std::string>().size());
    w_user = std::max(w_user, r["user"].get<std::string>().size());
  }
  io.out << "Workspace: " << ws.string() << "\n";
  io.out << std::left << std::setw(static_cast<int>(w_name + 2)) << "PROFILE" << std::setw(static_cast<int>(w_origin + 2))
         << "ORIGIN" << std::setw(static_cast<int>(w_user + 2)) << "USER"
         << "NETWORK\n";
  for (const auto& r : rows) {
    io.out << std::left << std::setw(static_cast<int>(w_name + 2)) << r["name"].get<std::string>()
           << std::setw(static_cast<int>(w_origin + 2)) << r["origin"].get<std::string>()
           << std::setw(static_cast<int>(w_user + 2)) << r["user"].get<std::string>() << r["network"].get<std::string>();
    if (!r["shadowed_by"].is_null()) io.out << "  (hidden by " << r["shadowed_by"].get<std::string>() << ")";
    io.out << "\n";
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace sbx::cli
