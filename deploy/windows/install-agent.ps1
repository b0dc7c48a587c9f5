#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Installs, or upgrades (run it again), the obsmon agent as the Windows service "obsmon-exporter".
.DESCRIPTION
  Run from the folder that npm run package wrote (dist\windows: obsmon-agent.mjs, obsmon-exporter.xml and
  this script), with the site's copy of WinSW v2 (WinSW-x64.exe or WinSW-NET461.exe) beside it or named by -WinSW:
  nothing is downloaded. node.exe cannot be a service by itself; WinSW answers the service control manager,
  restarts the agent when it fails and writes its output to rotated files in <InstallDir>\logs.
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File .\install-agent.ps1 -Server bridge.example.org:7070
#>
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)][string]$Server,
  [string]$WinSW = '',
  [string]$Node = '',
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'obsmon'),
  [ValidateSet('LocalService', 'LocalSystem')][string]$Account = 'LocalService'
)
$ErrorActionPreference = 'Stop'
$Id = 'obsmon-exporter'

if (-not $WinSW) {
  $found = Get-ChildItem -LiteralPath $PSScriptRoot -Filter 'WinSW*.exe' | Select-Object -First 1
  if (-not $found) { throw "No WinSW*.exe in ${PSScriptRoot}: copy the site's WinSW v2 executable there or pass -WinSW (docs/deploy.md)" }
  $WinSW = $found.FullName
}
if (-not $Node) {
  $command = Get-Command node.exe -ErrorAction SilentlyContinue
  if ($command) { $Node = $command.Source } else { $Node = Join-Path $env:ProgramFiles 'nodejs\node.exe' }
}
if (-not (Test-Path -LiteralPath $Node)) { throw "Node.js not found at ${Node}: install Node.js 18 or newer, or pass -Node" }
$major = [int]((& $Node --version).TrimStart('v').Split('.')[0])
if ($major -lt 18) { throw "Node.js $major at $Node is too old: the agent needs 18 or newer" }

# Fail before touching the service if the bundle cannot read this machine.
& $Node (Join-Path $PSScriptRoot 'obsmon-agent.mjs') exporter --once | Out-Null
if ($LASTEXITCODE -ne 0) { throw "obsmon-agent.mjs exporter --once failed (exit $LASTEXITCODE)" }

$exe = Join-Path $InstallDir "$Id.exe"
$logs = Join-Path $InstallDir 'logs'
# Upgrade: the old service goes first; its logs stay.
if (Get-Service -Name $Id -ErrorAction SilentlyContinue) {
  Stop-Service -Name $Id -ErrorAction SilentlyContinue
  if (Test-Path -LiteralPath $exe) { & $exe uninstall | Out-Null } else { & sc.exe delete $Id | Out-Null }
}

New-Item -ItemType Directory -Force -Path $InstallDir, $logs | Out-Null
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'obsmon-agent.mjs') -Destination $InstallDir -Force
Copy-Item -LiteralPath $WinSW -Destination $exe -Force

[xml]$config = Get-Content -LiteralPath (Join-Path $PSScriptRoot "$Id.xml") -Raw
$config.service.executable = $Node
$config.service.SelectSingleNode("env[@name='OBSMON_SERVER']").SetAttribute('value', $Server)
if ($Account -eq 'LocalSystem') {
  [void]$config.service.RemoveChild($config.service.SelectSingleNode('serviceaccount'))
} else {
  # WinSW runs as the service account and writes the logs itself: LocalService (S-1-5-19) may modify them.
  & icacls.exe $logs /grant '*S-1-5-19:(OI)(CI)M' | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "icacls failed on $logs" }
}
$config.Save((Join-Path $InstallDir "$Id.xml"))

& $exe install
if ($LASTEXITCODE -ne 0) { throw "$Id.exe install failed (exit $LASTEXITCODE)" }
& $exe start
if ($LASTEXITCODE -ne 0) { throw "$Id.exe start failed (exit $LASTEXITCODE): see $logs" }
Get-Service -Name $Id
