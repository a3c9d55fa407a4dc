// LinuxHost: the Host for Linux. Accounts through Debian's useradd/groupadd (they lock
// passwd/shadow properly), directories through openat-style calls that never follow a
// symlink, and nftables through libnftables transactions.
//
// Resource types: group, user, directory, posix_acl (posix_acl.h), nft_table, nft_chain,
// nft_rule, boot_unit (boot_unit.h), group_member, runner, launch_record (runner_host.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/os_linux/boot_unit.h"
#include "engine/os_linux/nftables.h"
#include "engine/os_linux/runner_host.h"
#include "engine/reconcile/host.h"

namespace sbx {

class LinuxHost : public Host {
 public:
  LinuxHost();
  explicit LinuxHost(BootUnitConfig boot, RunnerConfig runner = {});
  Result<Observation> Observe(const Resource& resource) override;
  Result<Ok> Ensure(const Resource& resource, const NotePrior& note_prior) override;
  Result<Ok> Remove(const OwnedRecord& record) override;

  // Observe ACL grants on their root only, not their whole tree (a quick status).
  void set_shallow(bool shallow) { shallow_ = shallow; }
  // List each nftables table and chain once for all observations until the next change
  // made through this host (exec checks a profile's table, chain and rules before every
  // run); off by default, since the machine may change between observations.
  void set_cache_listings(bool cache) { cache_listings_ = cache; }

 private:
  // nftables listings made while observing, each once until the next change: observing a
  // profile's table, chain and rules (exec does before every run) lists the chain once.
  Result<nlohmann::json> ListForObserve(const std::string& command);

  bool shallow_ = false;
  bool cache_listings_ = false;
  BootUnitConfig boot_;
  RunnerConfig runner_;
  std::unique_ptr<Nftables> nft_;
  std::map<std::string, Result<nlohmann::json>> listed_;
};

}  // namespace sbx
