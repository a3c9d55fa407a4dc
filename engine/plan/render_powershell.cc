// A Windows plan as a PowerShell script an administrator can read, or roll out with their
// own tooling: New-LocalUser, icacls and New-NetFirewallRule doing what `apply` does.
//
// The script is pure ASCII. Windows PowerShell 5.1 reads a file without a byte order mark
// in the ANSI code page, where the bytes of ordinary UTF-8 letters (Б is D0 91) decode to
// typographic quotes that PowerShell takes for string delimiters: a path from a profile
// must never reach the script as raw UTF-8. So every string from a profile becomes a
// single-quoted literal of its ASCII characters, with ' doubled (the only character
// special inside one), and every other character as [char]0xNNNN, concatenated; comments
// carry '?' instead.
#include <cstdio>
#include <sstream>

#include "engine/core/strings.h"
#include "engine/plan/plan.h"

namespace sbx {
namespace {

// The code points of valid UTF-8 (profiles are checked to be); a stray byte is U+FFFD.
std::vector<uint32_t> CodePoints(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    uint32_t c = 0xFFFD;
    const size_t len = DecodeUtf8(s, i, &c);
    out.push_back(len ? c : 0xFFFD);
    i += len ? len : 1;
  }
  return out;
}

std::string Quote(const std::string& s) {
  std::vector<std::string> parts;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) parts.push_back("'" + literal + "'");
    literal.clear();
  };
  for (uint32_t c : CodePoints(s)) {
    if (c >= 0x20 && c < 0x7F) {
      literal += static_cast<char>(c);
      if (c == '\'') literal += '\'';
      continue;
    }
    flush();
    char buf[40];  // fits the longest, 27 characters: snprintf cannot fail or cut it short
    if (c >= 0x10000) {  // UTF-16: a surrogate pair
      (void)std::snprintf(buf, sizeof buf, "[char]0x%04X + [char]0x%04X", 0xD800 + ((c - 0x10000) >> 10),
                          0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      (void)std::snprintf(buf, sizeof buf, "[char]0x%04X", c);
    }
    parts.emplace_back(buf);
  }
  flush();
  if (parts.empty()) return "''";
  if (parts.size() == 1 && parts[0][0] == '\'') return parts[0];
  return "(" + Join(parts, " + ") + ")";
}

// Text for a comment line: no control character can end the comment early, nothing but
// ASCII.
std::string Comment(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) c = '?';
  }
  return s;
}

std::string Str(const nlohmann::json& a, const char* key) {
  return a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

std::string Origins(const Resource& r) {
  std::vector<std::string> parts;
  for (const auto& o : r.origins) parts.push_back(o.ToString());
  return parts.empty() ? "" : "  [" + Join(parts, ", ") + "]";
}

// A PowerShell array of quoted strings, or 'Any'.
std::string AnyOrList(const nlohmann::json& value) {
  if (!value.is_array()) return "'Any'";
  std::vector<std::string> items;
  for (const auto& v : value) items.push_back(Quote(v.is_string() ? v.get<std::string>() : v.dump()));
  return "@(" + Join(items, ", ") + ")";
}

const char* kPreamble = R"(#Requires -RunAsAdministrator
#Requires -Version 5.1
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

function New-SandboxctlRandomBytes([int]$Count) {
  $bytes = [byte[]]::new($Count)
  [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
  return ,$bytes
}
function Get-SandboxctlSid([string]$Name) {
  ([Security.Principal.NTAccount]$Name).Translate([Security.Principal.SecurityIdentifier]).Value
}
function Invoke-SandboxctlIcacls {
  & icacls.exe @args | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "icacls $args failed with exit code $LASTEXITCODE" }
}
# No grant goes through a junction or symbolic link: one planted in a workspace would carry
# an administrator's change to wherever it points.
function Assert-SandboxctlNoReparsePoint([string]$Path) {
  $p = $Path
  while ($p) {
    $item = Get-Item -LiteralPath $p -Force -ErrorAction SilentlyContinue
    if ($item -and ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
      throw "sandboxctl: $p is a junction or symbolic link; name the real directory in the profile"
    }
    $p = Split-Path -LiteralPath $p -Parent
  }
}
# A directory of sandboxctl's that exists already must be owned by Administrators or
# SYSTEM: anyone else could have made it first, to own what goes into it.
function Assert-SandboxctlOwnedByAdministrators([string]$Path) {
  if (Test-Path -LiteralPath $Path) {
    $owner = (Get-Acl -LiteralPath $Path).GetOwner([Security.Principal.SecurityIdentifier]).Value
    if ($owner -ne 'S-1-5-32-544' -and $owner -ne 'S-1-5-18') {
      throw "sandboxctl: $Path exists and is owned by $owner, not by Administrators"
    }
  }
}
$hidden = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
# Capability SIDs are made once and kept here, so running the script again reuses them.
$capabilities = 'HKLM:\SOFTWARE\sandboxctl\CapabilitySids'
if (-not (Test-Path $capabilities)) { New-Item -Path $capabilities -Force | Out-Null }
$capability = @{}
)";

void User(const Resource& r, std::ostream& out) {
  const std::string name = Quote(Str(r.attributes, "name"));
  out << "if (-not (Get-LocalUser -Name " << name << " -ErrorAction SilentlyContinue)) {\n"
      << "  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) "
         "-AsPlainText -Force\n"
      << "  New-LocalUser -Name " << name
      << " -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires "
         "-UserMayNotChangePassword | Out-Null\n"
      << "}\n"
      << "if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }\n"
      << "New-ItemProperty -Path $hidden -Name " << name << " -Value 0 -PropertyType DWord -Force | Out-Null\n";
}

void Capability(const Resource& r, std::ostream& out) {
  const std::string profile = Quote(Str(r.attributes, "profile"));
  out << "$sid = (Get-ItemProperty -Path $capabilities -Name " << profile << " -ErrorAction SilentlyContinue)." << profile
      << "\n"
      << "if (-not $sid) {\n"
      << "  $random = New-SandboxctlRandomBytes 16\n"
      << "  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')\n"
      << "  New-ItemProperty -Path $capabilities -Name " << profile << " -Value $sid -PropertyType String -Force | Out-Null\n"
      << "}\n"
      << "$capability[" << profile << "] = $sid\n";
}

// Its parent is checked too: a directory of sandboxctl's own (C:\ProgramData\sandboxctl) is
// made by the first step that needs it. The owner is set before the DACL, and only the
// DACL is written.
void Directory(const Resource& r, std::ostream& out) {
  const std::string raw = Str(r.attributes, "path");
  const std::string path = Quote(raw);
  const size_t cut = raw.find_last_of('\\');
  const std::string parent = Quote(cut == std::string::npos ? raw : raw.substr(0, cut));
  out << "Assert-SandboxctlNoReparsePoint " << path << "\n"
      << "Assert-SandboxctlOwnedByAdministrators " << parent << "\n"
      << "Assert-SandboxctlOwnedByAdministrators " << path << "\n"
      << "New-Item -ItemType Directory -Force -Path " << path << " | Out-Null\n"
      << "Invoke-SandboxctlIcacls " << path << " /setowner '*S-1-5-32-544'\n"
      << "$dir = Get-Item -LiteralPath " << path << " -Force\n"
      << "$acl = $dir.GetAccessControl('Access')\n"
      << "$acl.SetSecurityDescriptorSddlForm(" << Quote(Str(r.attributes, "dacl")) << ", 'Access')\n"
      << "$dir.SetAccessControl($acl)\n";
}

// icacls forms from the plan ("/grant sbx-agent:(OI)(CI)M"), a capability's name replaced
// by its SID.
void Grant(const Resource& r, std::ostream& out) {
  const std::string path = Str(r.attributes, "path");
  std::vector<std::string> args;
  for (const auto& ace : r.attributes.value("aces", nlohmann::json::array())) {
    const std::string form = Str(ace, "icacls"), trustee = Str(ace, "trustee");
    const size_t space = form.find(' ');
    const std::string cap_prefix = "sandboxctl-cap-";
    const bool capability = Str(ace, "trustee_kind") == "capability";
    if (space == std::string::npos || form.compare(space + 1, trustee.size() + 1, trustee + ":") != 0 ||
        (capability && trustee.rfind(cap_prefix, 0) != 0)) {
      // Never a grant or a deny left out quietly: the script stops here.
      out << "throw " << Quote("sandboxctl: the plan has an ACE this script cannot render: " + form) << "\n";
      return;
    }
    const std::string verb = form.substr(0, space), rights = form.substr(space + 1 + trustee.size());
    if (capability) {
      std::string profile = trustee.substr(cap_prefix.size());
      args.push_back(verb + " (\"*\" + $capability[" + Quote(profile) + "] + " + Quote(rights) + ")");
    } else {
      args.push_back(verb + " " + Quote(trustee + rights));
    }
  }
  const nlohmann::json except = r.attributes.value("except", nlohmann::json::array());
  if (!except.empty()) {
    std::vector<std::string> paths;
    for (const auto& e : except) paths.push_back(e.get<std::string>());
    out << "# beneath it, " << Comment(Join(paths, ", ")) << " get ACEs of their own below\n";
  }
  // A path that does not exist has nothing to protect or open yet; apply grants it once
  // it exists.
  out << "if (Test-Path -LiteralPath " << Quote(path) << ") {\n"
      << "  Assert-SandboxctlNoReparsePoint " << Quote(path) << "\n";
  for (const auto& a : args) out << "  Invoke-SandboxctlIcacls " << Quote(path) << " " << a << "\n";
  out << "}\n";
}

void FirewallRule(const Resource& r, std::ostream& out) {
  const auto& a = r.attributes;
  const std::string protocol = Str(a, "protocol");
  const std::string name = Quote(Str(a, "name"));
  out << "Get-NetFirewallRule -Name " << name << " -ErrorAction SilentlyContinue | Remove-NetFirewallRule\n"
      << "New-NetFirewallRule -Name " << name << " -DisplayName " << name << " -Group 'sandboxctl'"
      << " -Direction Outbound -Action Block -Protocol "
      << (protocol == "tcp"      ? "TCP"
          : protocol == "udp"    ? "UDP"
          : protocol == "icmpv4" ? "ICMPv4"
          : protocol == "icmpv6" ? "ICMPv6"
                                 : "Any")
      << " -RemoteAddress " << AnyOrList(a.value("remote_addresses", nlohmann::json("*")));
  if (a.value("remote_ports", nlohmann::json("*")).is_array()) out << " -RemotePort " << AnyOrList(a["remote_ports"]);
  out << " -Profile Any -Enabled True -LocalUser (\"D:(A;;CC;;;\" + (Get-SandboxctlSid "
      << Quote(Str(a, "principal")) << ") + \")\") | Out-Null\n";
}

}  // namespace

std::string RenderPowerShell(const Plan& plan) {
  std::ostringstream out;
  out << "# sandboxctl plan for " << Comment(plan.context.workspace) << " (target windows), as\n"
      << "#   sandboxctl compile --target windows --format powershell\n"
      << "# renders it. Run it in an elevated PowerShell to make what 'sandboxctl apply' makes: the\n"
      << "# same users, capability SIDs, directories, ACEs and firewall rules. Unlike apply it keeps no\n"
      << "# state (so 'sandboxctl destroy' cannot undo it) and no user passwords (so the runner cannot\n"
      << "# log on as these users until 'sandboxctl apply' has set them).\n"
      << kPreamble;
  int count = 0;
  for (const Resource& r : plan.resources) {
    std::ostringstream step;
    if (r.type == "local_user") User(r, step);
    else if (r.type == "capability_sid") Capability(r, step);
    else if (r.type == "directory") Directory(r, step);
    else if (r.type == "ntfs_ace") Grant(r, step);
    else if (r.type == "firewall_rule") FirewallRule(r, step);
    else continue;
    out << "\n# " << Comment(r.id + ": " + r.summary + Origins(r)) << "\n" << step.str();
    ++count;
  }
  out << "\nWrite-Host " << Quote("sandboxctl: " + std::to_string(count) + " steps done.") << "\n";
  return out.str();
}

}  // namespace sbx
