# sandboxctl plan for C:\Users\dev\src\webapp (target windows), as
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

# capability:deploy-preview: capability SID for profile deploy-preview (write-restricted token)  [.sandboxctl/deploy-preview.toml:7]
$sid = (Get-ItemProperty -Path $capabilities -Name 'deploy-preview' -ErrorAction SilentlyContinue).'deploy-preview'
if (-not $sid) {
  $random = New-SandboxctlRandomBytes 16
  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')
  New-ItemProperty -Path $capabilities -Name 'deploy-preview' -Value $sid -PropertyType String -Force | Out-Null
}
$capability['deploy-preview'] = $sid

# capability:offline: capability SID for profile offline (write-restricted token)  [.sandboxctl/offline.toml:7]
$sid = (Get-ItemProperty -Path $capabilities -Name 'offline' -ErrorAction SilentlyContinue).'offline'
if (-not $sid) {
  $random = New-SandboxctlRandomBytes 16
  $sid = 'S-1-5-21-' + ((0..3 | ForEach-Object { [BitConverter]::ToUInt32($random, $_ * 4) }) -join '-')
  New-ItemProperty -Path $capabilities -Name 'offline' -Value $sid -PropertyType String -Force | Out-Null
}
$capability['offline'] = $sid

# user:sbx-webapp-deploy: hidden local user sbx-webapp-deploy (random password, DPAPI-protected)  [.sandboxctl/deploy-preview.toml:7]
if (-not (Get-LocalUser -Name 'sbx-webapp-deploy' -ErrorAction SilentlyContinue)) {
  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) -AsPlainText -Force
  New-LocalUser -Name 'sbx-webapp-deploy' -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires -UserMayNotChangePassword | Out-Null
}
if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }
New-ItemProperty -Path $hidden -Name 'sbx-webapp-deploy' -Value 0 -PropertyType DWord -Force | Out-Null

# user:sbx-webapp-test: hidden local user sbx-webapp-test (random password, DPAPI-protected)  [.sandboxctl/offline.toml:7]
if (-not (Get-LocalUser -Name 'sbx-webapp-test' -ErrorAction SilentlyContinue)) {
  $password = ConvertTo-SecureString ([Convert]::ToBase64String((New-SandboxctlRandomBytes 32))) -AsPlainText -Force
  New-LocalUser -Name 'sbx-webapp-test' -Password $password -Description 'sandboxctl sandbox user' -PasswordNeverExpires -UserMayNotChangePassword | Out-Null
}
if (-not (Test-Path $hidden)) { New-Item -Path $hidden -Force | Out-Null }
New-ItemProperty -Path $hidden -Name 'sbx-webapp-test' -Value 0 -PropertyType DWord -Force | Out-Null

# dir:C:\ProgramData\sandboxctl\tmp: directory C:\ProgramData\sandboxctl\tmp (SYSTEM and Administrators only)  [builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# dir:C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6: directory C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6 (SYSTEM and Administrators only)  [builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# dir:C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6: directory C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6 (SYSTEM and Administrators only)  [builtin:workspace.toml:9]
Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp'
Assert-SandboxctlOwnedByAdministrators 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6' | Out-Null
Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6' /setowner '*S-1-5-32-544'
$dir = Get-Item -LiteralPath 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6' -Force
$acl = $dir.GetAccessControl('Access')
$acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'Access')
$dir.SetAccessControl($acl)

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.aws: deny read C:\Users\dev\.aws for sbx-webapp-deploy  [builtin:base.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.aws') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.aws'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.aws' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.azure: deny read C:\Users\dev\.azure for sbx-webapp-deploy  [builtin:base.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\.azure') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.azure'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.azure' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.config\gcloud: deny read C:\Users\dev\.config\gcloud for sbx-webapp-deploy  [builtin:base.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gcloud') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gcloud'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gcloud' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.config\gh: deny read C:\Users\dev\.config\gh for sbx-webapp-deploy  [builtin:base.toml:20]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gh' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.docker: deny read C:\Users\dev\.docker for sbx-webapp-deploy  [builtin:base.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\.docker') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.docker'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.docker' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.git-credentials: deny read C:\Users\dev\.git-credentials for sbx-webapp-deploy  [builtin:base.toml:19]
if (Test-Path -LiteralPath 'C:\Users\dev\.git-credentials') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.git-credentials'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.git-credentials' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.gnupg: deny read C:\Users\dev\.gnupg for sbx-webapp-deploy  [builtin:base.toml:15]
if (Test-Path -LiteralPath 'C:\Users\dev\.gnupg') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.gnupg'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.gnupg' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.kube: deny read C:\Users\dev\.kube for sbx-webapp-deploy  [builtin:base.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\.kube') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.kube'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.kube' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.netrc: deny read C:\Users\dev\.netrc for sbx-webapp-deploy  [builtin:base.toml:16]
if (Test-Path -LiteralPath 'C:\Users\dev\.netrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.netrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.netrc' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.npmrc: deny read C:\Users\dev\.npmrc for sbx-webapp-deploy  [builtin:base.toml:17]
if (Test-Path -LiteralPath 'C:\Users\dev\.npmrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.npmrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.npmrc' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.password-store: deny read C:\Users\dev\.password-store for sbx-webapp-deploy  [builtin:base.toml:21]
if (Test-Path -LiteralPath 'C:\Users\dev\.password-store') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.password-store'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.password-store' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.pypirc: deny read C:\Users\dev\.pypirc for sbx-webapp-deploy  [builtin:base.toml:18]
if (Test-Path -LiteralPath 'C:\Users\dev\.pypirc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.pypirc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.pypirc' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\.ssh: deny read C:\Users\dev\.ssh for sbx-webapp-deploy  [builtin:base.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\.ssh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.ssh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.ssh' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-deploy:C:\Users\dev\src\webapp\.env: deny read C:\Users\dev\src\webapp\.env for sbx-webapp-deploy  [.sandboxctl/offline.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.env') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.env'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.env' /deny 'sbx-webapp-deploy:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.aws: deny read C:\Users\dev\.aws for sbx-webapp-test  [builtin:base.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.aws') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.aws'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.aws' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.azure: deny read C:\Users\dev\.azure for sbx-webapp-test  [builtin:base.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\.azure') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.azure'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.azure' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.config\gcloud: deny read C:\Users\dev\.config\gcloud for sbx-webapp-test  [builtin:base.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gcloud') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gcloud'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gcloud' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.config\gh: deny read C:\Users\dev\.config\gh for sbx-webapp-test  [builtin:base.toml:20]
if (Test-Path -LiteralPath 'C:\Users\dev\.config\gh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.config\gh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.config\gh' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.docker: deny read C:\Users\dev\.docker for sbx-webapp-test  [builtin:base.toml:14]
if (Test-Path -LiteralPath 'C:\Users\dev\.docker') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.docker'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.docker' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.git-credentials: deny read C:\Users\dev\.git-credentials for sbx-webapp-test  [builtin:base.toml:19]
if (Test-Path -LiteralPath 'C:\Users\dev\.git-credentials') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.git-credentials'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.git-credentials' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.gnupg: deny read C:\Users\dev\.gnupg for sbx-webapp-test  [builtin:base.toml:15]
if (Test-Path -LiteralPath 'C:\Users\dev\.gnupg') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.gnupg'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.gnupg' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.kube: deny read C:\Users\dev\.kube for sbx-webapp-test  [builtin:base.toml:13]
if (Test-Path -LiteralPath 'C:\Users\dev\.kube') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.kube'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.kube' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.netrc: deny read C:\Users\dev\.netrc for sbx-webapp-test  [builtin:base.toml:16]
if (Test-Path -LiteralPath 'C:\Users\dev\.netrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.netrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.netrc' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.npmrc: deny read C:\Users\dev\.npmrc for sbx-webapp-test  [builtin:base.toml:17]
if (Test-Path -LiteralPath 'C:\Users\dev\.npmrc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.npmrc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.npmrc' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.password-store: deny read C:\Users\dev\.password-store for sbx-webapp-test  [builtin:base.toml:21]
if (Test-Path -LiteralPath 'C:\Users\dev\.password-store') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.password-store'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.password-store' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.pypirc: deny read C:\Users\dev\.pypirc for sbx-webapp-test  [builtin:base.toml:18]
if (Test-Path -LiteralPath 'C:\Users\dev\.pypirc') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.pypirc'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.pypirc' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\.ssh: deny read C:\Users\dev\.ssh for sbx-webapp-test  [builtin:base.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\.ssh') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.ssh'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.ssh' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_read:sbx-webapp-test:C:\Users\dev\src\webapp\.env: deny read C:\Users\dev\src\webapp\.env for sbx-webapp-test  [.sandboxctl/offline.toml:12]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.env') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.env'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.env' /deny 'sbx-webapp-test:(OI)(CI)(RD,REA,X)'
}

# grant:deny_write:sbx-webapp-deploy:C:\Users\dev\src\webapp\.git: deny write C:\Users\dev\src\webapp\.git for sbx-webapp-deploy  [builtin:workspace.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.git') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.git'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.git' /deny 'sbx-webapp-deploy:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.git' /deny ("*" + $capability['deploy-preview'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-webapp-deploy:C:\Users\dev\src\webapp\.github: deny write C:\Users\dev\src\webapp\.github for sbx-webapp-deploy  [.sandboxctl/offline.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.github') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.github'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.github' /deny 'sbx-webapp-deploy:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.github' /deny ("*" + $capability['deploy-preview'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-webapp-deploy:C:\Users\dev\src\webapp\.sandboxctl: deny write C:\Users\dev\src\webapp\.sandboxctl for sbx-webapp-deploy  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.sandboxctl') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.sandboxctl'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.sandboxctl' /deny 'sbx-webapp-deploy:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.sandboxctl' /deny ("*" + $capability['deploy-preview'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-webapp-test:C:\Users\dev\src\webapp\.git: deny write C:\Users\dev\src\webapp\.git for sbx-webapp-test  [builtin:workspace.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.git') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.git'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.git' /deny 'sbx-webapp-test:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.git' /deny ("*" + $capability['offline'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-webapp-test:C:\Users\dev\src\webapp\.github: deny write C:\Users\dev\src\webapp\.github for sbx-webapp-test  [.sandboxctl/offline.toml:11]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.github') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.github'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.github' /deny 'sbx-webapp-test:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.github' /deny ("*" + $capability['offline'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:deny_write:sbx-webapp-test:C:\Users\dev\src\webapp\.sandboxctl: deny write C:\Users\dev\src\webapp\.sandboxctl for sbx-webapp-test  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\.sandboxctl') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\.sandboxctl'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.sandboxctl' /deny 'sbx-webapp-test:(OI)(CI)(WD,AD,WEA,WA,DC,DE)'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\.sandboxctl' /deny ("*" + $capability['offline'] + ':(OI)(CI)(WD,AD,WEA,WA,DC,DE)')
}

# grant:write:sbx-webapp-deploy:C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6: modify C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6 for sbx-webapp-deploy and its capability SID  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6') {
  Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6' /grant 'sbx-webapp-deploy:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\deploy-preview-d0145d9946c6' /grant ("*" + $capability['deploy-preview'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-deploy:C:\Users\dev\.cache\npm: modify C:\Users\dev\.cache\npm for sbx-webapp-deploy and its capability SID  [.sandboxctl/offline.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.cache\npm') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.cache\npm'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\npm' /grant 'sbx-webapp-deploy:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\npm' /grant ("*" + $capability['deploy-preview'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-deploy:C:\Users\dev\src\webapp: modify C:\Users\dev\src\webapp for sbx-webapp-deploy and its capability SID  [builtin:workspace.toml:9]
# beneath it, C:\Users\dev\src\webapp\.env, C:\Users\dev\src\webapp\.git, C:\Users\dev\src\webapp\.github, C:\Users\dev\src\webapp\.sandboxctl get ACEs of their own below
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp' /grant 'sbx-webapp-deploy:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp' /grant ("*" + $capability['deploy-preview'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-deploy:C:\Users\dev\src\webapp\node_modules: modify C:\Users\dev\src\webapp\node_modules for sbx-webapp-deploy and its capability SID  [.sandboxctl/offline.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\node_modules') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\node_modules'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\node_modules' /grant 'sbx-webapp-deploy:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\node_modules' /grant ("*" + $capability['deploy-preview'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-test:C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6: modify C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6 for sbx-webapp-test and its capability SID  [builtin:workspace.toml:9]
if (Test-Path -LiteralPath 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6') {
  Assert-SandboxctlNoReparsePoint 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6' /grant 'sbx-webapp-test:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\ProgramData\sandboxctl\tmp\offline-d0145d9946c6' /grant ("*" + $capability['offline'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-test:C:\Users\dev\.cache\npm: modify C:\Users\dev\.cache\npm for sbx-webapp-test and its capability SID  [.sandboxctl/offline.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\.cache\npm') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\.cache\npm'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\npm' /grant 'sbx-webapp-test:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\.cache\npm' /grant ("*" + $capability['offline'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-test:C:\Users\dev\src\webapp: modify C:\Users\dev\src\webapp for sbx-webapp-test and its capability SID  [builtin:workspace.toml:9]
# beneath it, C:\Users\dev\src\webapp\.env, C:\Users\dev\src\webapp\.git, C:\Users\dev\src\webapp\.github, C:\Users\dev\src\webapp\.sandboxctl get ACEs of their own below
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp' /grant 'sbx-webapp-test:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp' /grant ("*" + $capability['offline'] + ':(OI)(CI)M')
}

# grant:write:sbx-webapp-test:C:\Users\dev\src\webapp\node_modules: modify C:\Users\dev\src\webapp\node_modules for sbx-webapp-test and its capability SID  [.sandboxctl/offline.toml:10]
if (Test-Path -LiteralPath 'C:\Users\dev\src\webapp\node_modules') {
  Assert-SandboxctlNoReparsePoint 'C:\Users\dev\src\webapp\node_modules'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\node_modules' /grant 'sbx-webapp-test:(OI)(CI)M'
  Invoke-SandboxctlIcacls 'C:\Users\dev\src\webapp\node_modules' /grant ("*" + $capability['offline'] + ':(OI)(CI)M')
}

# firewall:sbx-webapp-deploy:block-icmp-10.20.0.0/16: block ICMP to 10.20.0.0/16 for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-icmp-10.20.0.0/16' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-icmp-10.20.0.0/16' -DisplayName 'sandboxctl sbx-webapp-deploy block-icmp-10.20.0.0/16' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol ICMPv4 -RemoteAddress @('10.20.0.0-10.20.255.255') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-icmp-fd00:20::/48: block ICMP to fd00:20::/48 for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-icmp-fd00:20::/48' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-icmp-fd00:20::/48' -DisplayName 'sandboxctl sbx-webapp-deploy block-icmp-fd00:20::/48' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol ICMPv6 -RemoteAddress @('fd00:20::-fd00:20:0:ffff:ffff:ffff:ffff:ffff') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-other-addresses: block outbound traffic to addresses the profile does not allow for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-other-addresses' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-other-addresses' -DisplayName 'sandboxctl sbx-webapp-deploy block-other-addresses' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol Any -RemoteAddress @('0.0.0.0-10.19.255.255', '10.21.0.0-10.30.3.255', '10.30.5.0-255.255.255.255', '::-fd00:1f:ffff:ffff:ffff:ffff:ffff:ffff', 'fd00:20:1::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-tcp-10.20.0.0/16: block TCP to 10.20.0.0/16 except the allowed ports for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-tcp-10.20.0.0/16' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-tcp-10.20.0.0/16' -DisplayName 'sandboxctl sbx-webapp-deploy block-tcp-10.20.0.0/16' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol TCP -RemoteAddress @('10.20.0.0-10.20.255.255') -RemotePort @('1-442', '444-65535') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-tcp-fd00:20::/48: block TCP to fd00:20::/48 except the allowed ports for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-tcp-fd00:20::/48' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-tcp-fd00:20::/48' -DisplayName 'sandboxctl sbx-webapp-deploy block-tcp-fd00:20::/48' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol TCP -RemoteAddress @('fd00:20::-fd00:20:0:ffff:ffff:ffff:ffff:ffff') -RemotePort @('1-442', '444-65535') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-udp-10.20.0.0/16: block UDP to 10.20.0.0/16 except the allowed ports for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-udp-10.20.0.0/16' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-udp-10.20.0.0/16' -DisplayName 'sandboxctl sbx-webapp-deploy block-udp-10.20.0.0/16' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol UDP -RemoteAddress @('10.20.0.0-10.20.255.255') -RemotePort @('1-442', '444-65535') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-deploy:block-udp-fd00:20::/48: block UDP to fd00:20::/48 except the allowed ports for sbx-webapp-deploy  [.sandboxctl/deploy-preview.toml:10]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-udp-fd00:20::/48' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-deploy block-udp-fd00:20::/48' -DisplayName 'sandboxctl sbx-webapp-deploy block-udp-fd00:20::/48' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol UDP -RemoteAddress @('fd00:20::-fd00:20:0:ffff:ffff:ffff:ffff:ffff') -RemotePort @('1-442', '444-65535') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-deploy') + ")") | Out-Null

# firewall:sbx-webapp-test:block-other-addresses: block outbound traffic to addresses the profile does not allow for sbx-webapp-test  [.sandboxctl/offline.toml:15]
Get-NetFirewallRule -Name 'sandboxctl sbx-webapp-test block-other-addresses' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
New-NetFirewallRule -Name 'sandboxctl sbx-webapp-test block-other-addresses' -DisplayName 'sandboxctl sbx-webapp-test block-other-addresses' -Group 'sandboxctl' -Direction Outbound -Action Block -Protocol Any -RemoteAddress @('0.0.0.0-126.255.255.255', '128.0.0.0-255.255.255.255', '::', '::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') -Profile Any -Enabled True -LocalUser ("D:(A;;CC;;;" + (Get-SandboxctlSid 'sbx-webapp-test') + ")") | Out-Null

Write-Host 'sandboxctl: 57 steps done.'
