// The trust store on disk (engine/launch/trust.h for what it holds): where it lives, and
// reading, writing and filling it. Linux: namespace isolation is Linux's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cli/common.h"
#include "engine/launch/trust.h"

namespace sbx::cli {

// The store of the person sandboxctl works for (under sudo, the user sudo was run by):
// `flag` if given, else $XDG_STATE_HOME/sandboxctl/trust.json (not under sudo), else
// <home>/.local/state/sandboxctl/trust.json, home from the password database.
std::filesystem::path TrustStorePath(const std::optional<std::string>& flag);

// A store that does not exist is empty; one that cannot be read or parsed is nullopt,
// and `error` says why.
std::optional<TrustStore> LoadTrustStore(const std::filesystem::path& path, std::string& error);

// Writes the store through a new file renamed into place (mode 0600, directories 0700);
// false with `error` set when it cannot.
bool SaveTrustStore(const std::filesystem::path& path, const TrustStore& store, std::string& error);

// The content now of each file that decides `profile`'s policy (PolicyFiles); a file that
// cannot be read counts with empty content, so it never matches a trusted one.
TrustedFiles ReadPolicyFiles(const Plan& plan, const std::string& profile, const std::filesystem::path& workspace,
                             const GlobalOptions& g);

}  // namespace sbx::cli
