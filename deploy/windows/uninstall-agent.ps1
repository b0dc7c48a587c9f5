#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Stops and removes the Windows service "obsmon-exporter" and its files; the logs stay unless -Purge.
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File .\uninstall-agent.ps1 -Purge
#>
[CmdletBinding()]
param(
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'obsmon'),
  [switch]$Purge
)
$ErrorActionPreference = 'Stop'
$Id = 'obsmon-exporter'
$exe = Join-Path $InstallDir "$Id.exe"

if (Get-Service -Name $Id -ErrorAction SilentlyContinue) {
  Stop-Service -Name $Id -ErrorAction SilentlyContinue
  if (Test-Path -LiteralPath $exe) { & $exe uninstall | Out-Null } else { & sc.exe delete $Id | Out-Null }
}
foreach ($name in @("$Id.exe", "$Id.xml", 'obsmon-agent.mjs')) {
  Remove-Item -LiteralPath (Join-Path $InstallDir $name) -Force -ErrorAction SilentlyContinue
}
if ($Purge -and (Test-Path -LiteralPath $InstallDir)) { Remove-Item -LiteralPath $InstallDir -Recurse -Force }
