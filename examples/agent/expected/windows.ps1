# sandboxctl plan for C:\Users\dev\src\agent (target windows), as
#   sandboxctl compile --target windows --format powershell
# renders it. Run it in an elevated PowerShell to make what 'sandboxctl apply' makes: the
# same users, capability SIDs, directories, ACEs and firewall rules. Unlike apply it keeps no
# state (so 'sandboxctl destroy' cannot undo it) and no user passwords (so the runner cannot
# log on as these users until 'sandboxctl apply' has set them).
#Requires -RunAsAdministrator
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

# capability:agent: capability SID for profile agent (write-restricted token)  [.sandboxctl/agent.toml:9]
$sid = (Get-ItemProperty -Path $capabilities -Name 'agent' -ErrorAction SilentlyContinue).'agent'
if (-not $sid) {
  $random = New-SandboxctlRandomBytes 16
  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')
  New-ItemProperty -Path $capabilities -Name 'agent' -Value $sid -PropertyType String -Force | Out-Null
}
$capability['agent'] = $sid

# capability:fetch-deps: capability SID for profile fetch-deps (write-restricted token)  [.sandboxctl/fetch-deps.toml:8]
$sid = (Get-ItemProperty -Path $capabilities -Name 'fetch-deps' -ErrorAction SilentlyContinue).'fetch-deps'
if (-not $sid) {
  $random = New-SandboxctlRandomBytes 16
  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')
  New-ItemProperty -Path $capabilities -Name 'fetch-deps' -Value $sid -PropertyType String -Force | Out-Null
}
$capability['fetch-deps'] = $sid

# capability:review: capability SID for profile review (write-restricted token)  [.sandboxctl/review.toml:8]
$sid = (Get-ItemProperty -Path $capabilities -Name 'review' -ErrorAction SilentlyContinue).'review'
if (-not $sid) {
  $random = New-SandboxctlRandomBytes 16
  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')
  New-ItemProperty -Path $capabilities -Name 'review' -Value $sid -PropertyType String -Force | Out-Null
}
$capability['review'] = $sid

# user:sbx-agent: hidden local user sbx-agent (random password, DPAPI-protected)  [.sandboxctl/agent.toml:9]
if (-not (Get-LocalUser -Name 'sbx-agent' -ErrorAction SilentlyContinue)) {
  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) -AsPlainText -Force
  New-LocalUser -Name 'sbx-agent' -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires -UserMayNotChangePassword | Out-Null
}
if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }
New-ItemProperty -Path $hidden -Name 'sbx-agent' -Value 0 -PropertyType DWord -Force | Out-Null

# user:sbx-agent-fetch: hidden local user sbx-agent-fetch (random password, DPAPI-protected)  [.sandboxctl/fetch-deps.toml:8]
if (-not (Get-LocalUser -Name 'sbx-agent-fetch' -ErrorAction SilentlyContinue)) {
  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) -AsPlainText -Force
  New-LocalUser -Name 'sbx-agent-fetch' -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires -UserMayNotChangePassword | Out-Null
}
if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }
New-ItemProperty -Path $hidden -Name 'sbx-agent-fetch' -Value 0 -PropertyType DWord -Force | Out-Null

# user:sbx-agent-ro: hidden local user sbx-agent-ro (random password, DPAPI-protected)  [.sandboxctl/review.toml:8]
if (-not (Get-LocalUser -Name 'sbx-agent-ro' -ErrorAction SilentlyContinue)) {
  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) -AsPlainText -Force
  New-LocalUser -Name 'sbx-agent-ro' -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires -UserMayNotChangePassword | Out-Null
}
if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }
New-ItemProperty -Path $hidden -Name 'sbx-agent-ro' -Value 0 -PropertyType DWord -Force | Out-Null

# dir:C:\ProgramData\sandboxctl\tmp: directory C:\ProgramData\sandboxctl\tmp (SYSTEM and Administrators only)  [builtin:readonly.toml:9, builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# dir:C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8: directory C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8 (SYSTEM and Administrators only)  [builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# dir:C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8: directory C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8 (SYSTEM and Administrators only)  [builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# dir:C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8: directory C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8 (SYSTEM and Administrators only)  [builtin:readonly.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.aws: deny read C:\Users\dev\.aws for sbx-agent-fetch  [builtin:base.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.aws') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.aws'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.aws' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.azure: deny read C:\Users\dev\.azure for sbx-agent-fetch  [builtin:base.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\.azure') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.azure'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.azure' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.config\gcloud: deny read C:\Users\dev\.config\gcloud for sbx-agent-fetch  [builtin:base.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gcloud') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gcloud'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gcloud' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.config\gh: deny read C:\Users\dev\.config\gh for sbx-agent-fetch  [builtin:base.toml:20]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gh' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.docker: deny read C:\Users\dev\.docker for sbx-agent-fetch  [builtin:base.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\.docker') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.docker'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.docker' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.git-credentials: deny read C:\Users\dev\.git-credentials for sbx-agent-fetch  [builtin:base.toml:19]
if (Test-Path -LiteralPath 'C:\Users\dev\.git-credentials') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.git-credentials'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.git-credentials' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.gnupg: deny read C:\Users\dev\.gnupg for sbx-agent-fetch  [builtin:base.toml:15]
if (Test-Path -LiteralPath 'C:\Users\dev\.gnupg') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.gnupg'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.gnupg' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.kube: deny read C:\Users\dev\.kube for sbx-agent-fetch  [builtin:base.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\.kube') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.kube'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.kube' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.netrc: deny read C:\Users\dev\.netrc for sbx-agent-fetch  [builtin:base.toml:16]
if (Test-Path -LiteralPath 'C:\Users\dev\.netrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.netrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.netrc' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.npmrc: deny read C:\Users\dev\.npmrc for sbx-agent-fetch  [builtin:base.toml:17]
if (Test-Path -LiteralPath 'C:\Users\dev\.npmrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.npmrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.npmrc' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.password-store: deny read C:\Users\dev\.password-store for sbx-agent-fetch  [builtin:base.toml:21]
if (Test-Path -LiteralPath 'C:\Users\dev\.password-store') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.password-store'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.password-store' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.pypirc: deny read C:\Users\dev\.pypirc for sbx-agent-fetch  [builtin:base.toml:18]
if (Test-Path -LiteralPath 'C:\Users\dev\.pypirc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.pypirc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.pypirc' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-fetch:C:\Users\dev\.ssh: deny read C:\Users\dev\.ssh for sbx-agent-fetch  [builtin:base.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\.ssh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.ssh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.ssh' /deny 'sbx-agent-fetch:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.aws: deny read C:\Users\dev\.aws for sbx-agent-ro  [builtin:base.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.aws') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.aws'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.aws' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.azure: deny read C:\Users\dev\.azure for sbx-agent-ro  [builtin:base.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\.azure') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.azure'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.azure' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.config\gcloud: deny read C:\Users\dev\.config\gcloud for sbx-agent-ro  [builtin:base.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gcloud') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gcloud'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gcloud' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.config\gh: deny read C:\Users\dev\.config\gh for sbx-agent-ro  [builtin:base.toml:20]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gh' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.docker: deny read C:\Users\dev\.docker for sbx-agent-ro  [builtin:base.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\.docker') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.docker'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.docker' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.git-credentials: deny read C:\Users\dev\.git-credentials for sbx-agent-ro  [builtin:base.toml:19]
if (Test-Path -LiteralPath 'C:\Users\dev\.git-credentials') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.git-credentials'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.git-credentials' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.gnupg: deny read C:\Users\dev\.gnupg for sbx-agent-ro  [builtin:base.toml:15]
if (Test-Path -LiteralPath 'C:\Users\dev\.gnupg') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.gnupg'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.gnupg' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.kube: deny read C:\Users\dev\.kube for sbx-agent-ro  [builtin:base.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\.kube') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.kube'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.kube' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.netrc: deny read C:\Users\dev\.netrc for sbx-agent-ro  [builtin:base.toml:16]
if (Test-Path -LiteralPath 'C:\Users\dev\.netrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.netrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.netrc' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.npmrc: deny read C:\Users\dev\.npmrc for sbx-agent-ro  [builtin:base.toml:17]
if (Test-Path -LiteralPath 'C:\Users\dev\.npmrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.npmrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.npmrc' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.password-store: deny read C:\Users\dev\.password-store for sbx-agent-ro  [builtin:base.toml:21]
if (Test-Path -LiteralPath 'C:\Users\dev\.password-store') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.password-store'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.password-store' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.pypirc: deny read C:\Users\dev\.pypirc for sbx-agent-ro  [builtin:base.toml:18]
if (Test-Path -LiteralPath 'C:\Users\dev\.pypirc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.pypirc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.pypirc' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\.ssh: deny read C:\Users\dev\.ssh for sbx-agent-ro  [builtin:base.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\.ssh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.ssh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.ssh' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent-ro:C:\Users\dev\src\agent\deploy\secrets: deny read C:\Users\dev\src\agent\deploy\secrets for sbx-agent-ro  [.sandboxctl/review.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\deploy\secrets') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\deploy\secrets'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\deploy\secrets' /deny 'sbx-agent-ro:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.aws: deny read C:\Users\dev\.aws for sbx-agent  [builtin:base.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.aws') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.aws'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.aws' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.azure: deny read C:\Users\dev\.azure for sbx-agent  [builtin:base.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\.azure') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.azure'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.azure' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.config\gcloud: deny read C:\Users\dev\.config\gcloud for sbx-agent  [builtin:base.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gcloud') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gcloud'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gcloud' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.config\gh: deny read C:\Users\dev\.config\gh for sbx-agent  [builtin:base.toml:20]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gh' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.docker: deny read C:\Users\dev\.docker for sbx-agent  [builtin:base.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\.docker') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.docker'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.docker' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.git-credentials: deny read C:\Users\dev\.git-credentials for sbx-agent  [builtin:base.toml:19]
if (Test-Path -LiteralPath 'C:\Users\dev\.git-credentials') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.git-credentials'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.git-credentials' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.gnupg: deny read C:\Users\dev\.gnupg for sbx-agent  [builtin:base.toml:15]
if (Test-Path -LiteralPath 'C:\Users\dev\.gnupg') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.gnupg'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.gnupg' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.kube: deny read C:\Users\dev\.kube for sbx-agent  [builtin:base.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\.kube') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.kube'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.kube' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.netrc: deny read C:\Users\dev\.netrc for sbx-agent  [builtin:base.toml:16]
if (Test-Path -LiteralPath 'C:\Users\dev\.netrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.netrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.netrc' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.npmrc: deny read C:\Users\dev\.npmrc for sbx-agent  [builtin:base.toml:17]
if (Test-Path -LiteralPath 'C:\Users\dev\.npmrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.npmrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.npmrc' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.password-store: deny read C:\Users\dev\.password-store for sbx-agent  [builtin:base.toml:21]
if (Test-Path -LiteralPath 'C:\Users\dev\.password-store') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.password-store'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.password-store' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.pypirc: deny read C:\Users\dev\.pypirc for sbx-agent  [builtin:base.toml:18]
if (Test-Path -LiteralPath 'C:\Users\dev\.pypirc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.pypirc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.pypirc' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\.ssh: deny read C:\Users\dev\.ssh for sbx-agent  [builtin:base.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\.ssh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.ssh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.ssh' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-agent:C:\Users\dev\src\agent\deploy\secrets: deny read C:\Users\dev\src\agent\deploy\secrets for sbx-agent  [.sandboxctl/agent.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\deploy\secrets') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\deploy\secrets'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\deploy\secrets' /deny 'sbx-agent:(OI)(CI)(RD,REA,X)'
}

# grant:deny_write:sbx-agent-fetch:C:\Users\dev\src\agent\.git: deny write C:\Users\dev\src\agent\.git for sbx-agent-fetch  [builtin:workspace.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\.git') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\.git'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.git' /deny 'sbx-agent-fetch:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.git' /deny ("*" + $capability['fetch-deps'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-agent-fetch:C:\Users\dev\src\agent\.sandboxctl: deny write C:\Users\dev\src\agent\.sandboxctl for sbx-agent-fetch  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\.sandboxctl') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\.sandboxctl'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.sandboxctl' /deny 'sbx-agent-fetch:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.sandboxctl' /deny ("*" + $capability['fetch-deps'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-agent:C:\Users\dev\src\agent\.git: deny write C:\Users\dev\src\agent\.git for sbx-agent  [builtin:workspace.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\.git') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\.git'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.git' /deny 'sbx-agent:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.git' /deny ("*" + $capability['agent'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-agent:C:\Users\dev\src\agent\.sandboxctl: deny write C:\Users\dev\src\agent\.sandboxctl for sbx-agent  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent\.sandboxctl') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent\.sandboxctl'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.sandboxctl' /deny 'sbx-agent:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent\.sandboxctl' /deny ("*" + $capability['agent'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:read:sbx-agent-ro:C:\Users\dev\go\pkg\mod: read C:\Users\dev\go\pkg\mod for sbx-agent-ro (background)  [.sandboxctl/review.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\go\pkg\mod') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\go\pkg\mod'
  Invoke-SandboxctlIcacls 'C:\Users\dev\go\pkg\mod' /grant 'sbx-agent-ro:(OI)(CI)RX'
}

# grant:read:sbx-agent-ro:C:\Users\dev\src\agent: read C:\Users\dev\src\agent for sbx-agent-ro (background)  [builtin:readonly.toml:10]
# beneath it, C:\Users\dev\src\agent\deploy\secrets get ACEs of their own below
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent' /grant 'sbx-agent-ro:(OI)(CI)RX'
}

# grant:read:sbx-agent:C:\Users\dev\go\pkg\mod: read C:\Users\dev\go\pkg\mod for sbx-agent (background)  [.sandboxctl/agent.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\go\pkg\mod') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\go\pkg\mod'
  Invoke-SandboxctlIcacls 'C:\Users\dev\go\pkg\mod' /grant 'sbx-agent:(OI)(CI)RX'
}

# grant:read:sbx-agent:C:\opt\toolchains: read C:\opt\toolchains for sbx-agent (background)  [.sandboxctl/agent.toml:13]
if (Test-Path -LiteralPath 'C:\opt\toolchains') {
  Assert-SandboxctlNoReparsePoint 'C:\opt\toolchains'
  Invoke-SandboxctlIcacls 'C:\opt\toolchains' /grant 'sbx-agent:(OI)(CI)RX'
}

# grant:write:sbx-agent-fetch:C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8: modify C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8 for sbx-agent-fetch and its capability SID  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8') {
  Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8' /grant 'sbx-agent-fetch:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\fetch-deps-d041f12bfbb8' /grant ("*" + $capability['fetch-deps'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent-fetch:C:\Users\dev\go\pkg\mod: modify C:\Users\dev\go\pkg\mod for sbx-agent-fetch and its capability SID  [.sandboxctl/fetch-deps.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\go\pkg\mod') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\go\pkg\mod'
  Invoke-SandboxctlIcacls 'C:\Users\dev\go\pkg\mod' /grant 'sbx-agent-fetch:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\go\pkg\mod' /grant ("*" + $capability['fetch-deps'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent-fetch:C:\Users\dev\src\agent: modify C:\Users\dev\src\agent for sbx-agent-fetch and its capability SID  [builtin:workspace.toml:9]
# beneath it, C:\Users\dev\src\agent\.git, C:\Users\dev\src\agent\.sandboxctl get ACEs of their own below
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent' /grant 'sbx-agent-fetch:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent' /grant ("*" + $capability['fetch-deps'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent-ro:C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8: modify C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8 for sbx-agent-ro and its capability SID  [builtin:readonly.toml:9]
if (Test-Path -LiteralPath 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8') {
  Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8' /grant 'sbx-agent-ro:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\review-d041f12bfbb8' /grant ("*" + $capability['review'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent:C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8: modify C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8 for sbx-agent and its capability SID  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8') {
  Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8' /grant 'sbx-agent:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\agent-d041f12bfbb8' /grant ("*" + $capability['agent'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent:C:\Users\dev\.cache\go-build: modify C:\Users\dev\.cache\go-build for sbx-agent and its capability SID  [.sandboxctl/agent.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.cache\go-build') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.cache\go-build'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\go-build' /grant 'sbx-agent:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\go-build' /grant ("*" + $capability['agent'] + ':(OI)(CI)M')
}

# grant:write:sbx-agent:C:\Users\dev\src\agent: modify C:\Users\dev\src\agent for sbx-agent and its capability SID  [builtin:workspace.toml:9]
# beneath it, C:\Users\dev\src\agent\.git, C:\Users\dev\src\agent\.sandboxctl, C:\Users\dev\src\agent\deploy\secrets get ACEs of their own below
if (Test-Path -LiteralPath 'C:\Users\dev\src\agent') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\agent'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent' /grant 'sbx-agent:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\agent' /grant ("*" + $capability['agent'] + ':(OI)(CI)M')
}

# firewall:sbx-agent-ro:block-all: block all outbound traffic for sbx-agent-ro  [builtin:base.toml:25]
Get-NetFirewallRule -Name 'sandboxctl sbx-agent-ro block-all' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-agent-ro block-all' -DisplayName 'sandboxctl sbx-agent-ro block-all' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol Any -RemoteAddress 'Any' -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-agent-ro') + ")") | Out-Null

# firewall:sbx-agent:block-other-addresses: block outbound traffic to addresses the profile does not allow for sbx-agent  [builtin:offline.toml:7]
Get-NetFirewallRule -Name 'sandboxctl sbx-agent block-other-addresses' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-agent block-other-addresses' -DisplayName 'sandboxctl sbx-agent block-other-addresses' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol Any -RemoteAddress @('0.0.0.0-126.255.255.255', '128.0.0.0-255.255.255.255', '::', '::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-agent') + ")") | Out-Null

Write-Host 'sandboxctl: 68 steps done.'
