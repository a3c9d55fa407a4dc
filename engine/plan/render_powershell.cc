// A Windows plan as a PowerShell script an administrator can read, or roll out with their
// own tooling: New-LocalUser, icacls and New-NetFirewallRule doing what `apply` does.
//
// Every string that comes from a profile (paths, names) is a single-quoted PowerShell
// literal: inside one, only quote characters are special, and PowerShell takes the
// typographic single quotes (U+2018 to U+201B) for quotes as well, so each is doubled.
#include <sstream>

#include "engine/core/strings.h"
#include "engine/plan/plan.h"

namespace sbx {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '\'') {
      out += '\'';
    } else if (static_cast<unsigned char>(s[i]) == 0xE2 && i + 2 < s.size() &&
               static_cast<unsigned char>(s[i + 1]) == 0x80 && static_cast<unsigned char>(s[i + 2]) >= 0x98 &&
               static_cast<unsigned char>(s[i + 2]) <= 0x9B) {
      out += s.substr(i + 1, 2) + s.substr(i, 3);  // the character, then once more
      i += 2;
    }
  }
  return out + "'";
}

std::string Str(const nlohmann::json& a, const char* key) {
  return a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

// Text for a comment line: no control character can end the comment early.
std::string Comment(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return s;
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
$hidden = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList'
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
  out << "$random = New-SandboxctlRandomBytes 16\n"
      << "$capability[" << Quote(Str(r.attributes, "profile"))
      << "] = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')\n";
}

void Directory(const Resource& r, std::ostream& out) {
  const std::string path = Quote(Str(r.attributes, "path"));
  out << "New-Item -ItemType Directory -Force -Path " << path << " | Out-Null\n"
      << "$acl = Get-Acl -LiteralPath " << path << "\n"
      << "$acl.SetSecurityDescriptorSddlForm(" << Quote(Str(r.attributes, "dacl")) << ", 'Access')\n"
      << "Set-Acl -LiteralPath " << path << " -AclObject $acl\n"
      << "Invoke-SandboxctlIcacls " << path << " /setowner '*S-1-5-32-544'\n";
}

// icacls forms from the plan ("/grant sbx-agent:(OI)(CI)M"), a capability's name replaced
// by its SID.
void Grant(const Resource& r, std::ostream& out) {
  const std::string path = Str(r.attributes, "path");
  std::vector<std::string> args;
  for (const auto& ace : r.attributes.value("aces", nlohmann::json::array())) {
    const std::string form = Str(ace, "icacls"), trustee = Str(ace, "trustee");
    const size_t space = form.find(' ');
    if (space == std::string::npos || form.compare(space + 1, trustee.size() + 1, trustee + ":") != 0) continue;
    const std::string verb = form.substr(0, space), rights = form.substr(space + 1 + trustee.size());
    if (Str(ace, "trustee_kind") == "capability") {
      std::string profile = trustee.substr(std::string("sandboxctl-cap-").size());
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
  out << "if (Test-Path -LiteralPath " << Quote(path) << ") {\n";
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
