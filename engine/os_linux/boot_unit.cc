#include "engine/os_linux/sys_error.h"
#include "engine/os_linux/boot_unit.h"
#include "engine/os_linux/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sbx {

namespace fs = std::filesystem;

namespace {

struct Unit {
  std::string name, wanted_by;
  fs::path file, link;
};

Result<Unit> ReadUnit(const Resource& r, const BootUnitConfig& c) {
  Unit u{r.attributes.value("name", ""), r.attributes.value("wanted_by", ""), {}, {}};
  if (u.name != "sandboxctl-firewall.service" || u.wanted_by != "sysinit.target") {
    return Error{"invalid_plan", "", r.id, "unexpected boot unit"};
  }
  u.file = c.unit_dir / u.name;
  u.link = c.unit_dir / (u.wanted_by + ".wants") / u.name;
  return u;
}

// Paths in a unit file: quoted for systemd's command-line parsing.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string Content(const BootUnitConfig& c) {
  return "# Written by sandboxctl apply; removed by sandboxctl destroy.\n"
         "[Unit]\n"
         "Description=Restore the sandboxctl firewall rules\n"
         "DefaultDependencies=no\n"
         "After=local-fs.target nftables.service\n"
         "Before=network-pre.target\n"
         "Wants=network-pre.target\n"
         "\n[Service]\n"
         "Type=oneshot\n"
         "RemainAfterExit=yes\n"
         "ExecStart=" + Quote(c.executable.string()) + " restore --state-dir " + Quote(c.state_dir.string()) + "\n"
         "\n[Install]\n"
         "WantedBy=sysinit.target\n";
}

}  // namespace

Result<Observation> ObserveBootUnit(const Resource& r, const BootUnitConfig& c) {
  auto u = ReadUnit(r, c);
  if (!u.ok()) return u.error();
  Observation o;
  auto text = ReadFileNoFollow(u->file);
  if (!text) return o;
  o.present = true;
  o.current = *text;  // restored on destroy if it was not sandboxctl's
  std::error_code ec;
  const bool linked = fs::is_symlink(u->link, ec) && fs::read_symlink(u->link, ec) == u->file;
  o.in_sync = *text == Content(c) && linked;
  if (!o.in_sync) o.detail = *text != Content(c) ? "unit file differs" : "unit not enabled";
  return o;
}

Result<Ok> EnsureBootUnit(const Resource& r, const BootUnitConfig& c) {
  auto u = ReadUnit(r, c);
  if (!u.ok()) return u.error();
  std::error_code ec;
  fs::create_directories(u->link.parent_path(), ec);
  if (ec) return Error{"host_error", "mkdir", u->link.parent_path().string(), ec.message()};
  if (auto w = WriteFileReplacing(u->file, Content(c), 0, 0644, nullptr); !w.ok()) return w;
  // Enabled the way `systemctl enable` does it, without needing a running systemd.
  fs::remove(u->link, ec);
  fs::create_symlink(u->file, u->link, ec);
  if (ec) return Error{"host_error", "symlink", u->link.string(), ec.message()};
  return Ok{};
}

Result<Ok> RemoveBootUnit(const OwnedRecord& record, const BootUnitConfig& c) {
  auto u = ReadUnit(record.resource, c);
  if (!u.ok()) return u.error();
  std::error_code ec;
  fs::remove(u->link, ec);
  unlink((u->file.string() + ".sandboxctl-new").c_str());  // what an interrupted apply was writing
  if (record.prior.is_string()) return WriteFileReplacing(u->file, record.prior.get<std::string>(), 0, 0644, nullptr);
  fs::remove(u->file, ec);
  if (ec) return Error{"host_error", "unlink", u->file.string(), ec.message()};
  fs::remove(u->link.parent_path(), ec);  // only if empty
  return Ok{};
}

}  // namespace sbx
