// A small wrapper around libnftables: run nft commands as one transaction, list in JSON.
// The library is loaded when first used (see nftables.cc). Also the ruleset's generation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

struct nft_ctx;

namespace sbx {

class Nftables {
 public:
  Nftables();
  ~Nftables();
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;

  // Runs `commands` (newline-separated) as one atomic transaction.
  Result<Ok> Run(const std::string& commands);
  // Runs a list command and returns its JSON ("nftables" array); nullopt-like error
  // code "not_found" when the object does not exist.
  Result<nlohmann::json> List(const std::string& command);

 private:
  Result<Ok> Open();  // loads the library and makes the context, once
  nft_ctx* ctx_ = nullptr;
};

// The generation of this network namespace's nftables ruleset: the kernel counts every
// committed change of any table, so an equal generation means an unchanged ruleset. Needs
// CAP_NET_ADMIN, like every nftables request.
Result<uint32_t> NftRulesetGeneration();

}  // namespace sbx
