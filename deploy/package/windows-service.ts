/**
 * The Windows service definition of the agent: a WinSW (v2.x) configuration, written by
 * `npm run package` to dist/windows/obsmon-exporter.xml next to the bundle and the install script.
 * node.exe cannot be a Windows service by itself (it does not answer the service control manager);
 * WinSW, renamed to obsmon-exporter.exe beside this file, does, and restarts and logs the agent.
 * deploy/windows/install-agent.ps1 sets the site's values (node.exe, the bridge, the account) into it.
 */
import { AGENT_NODE_FLAGS } from '../node-flags.ts';

export const WINDOWS_SERVICE_ID = 'obsmon-exporter';
/** The bundle's file name (in dist/ and every install); WinSW's %BASE% is the directory holding obsmon-exporter.exe and this XML. */
export const BUNDLE_NAME = 'obsmon-agent.mjs';
/** Where Node.js's MSI puts node.exe; the install script replaces it with the node.exe it finds. */
export const DEFAULT_NODE_EXE = 'C:\\Program Files\\nodejs\\node.exe';
/** A placeholder the install script replaces with its -Server argument. */
export const PLACEHOLDER_SERVER = 'bridge.example.org:7070';
/** Rotation: 10 MiB per file, 8 kept (WinSW counts the threshold in KB). */
export const LOG_SIZE_KB = 10_240;
export const LOG_KEEP_FILES = 8;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function winswXml(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- obsmon agent ${escapeXml(version)} as a Windows service, run by WinSW (obsmon-exporter.exe beside this file).
     Written by npm run package; install-agent.ps1 sets executable, OBSMON_SERVER and the account. -->
<service>
  <id>${WINDOWS_SERVICE_ID}</id>
  <name>obsmon exporter</name>
  <description>obsmon agent ${escapeXml(version)}: reports this machine to an obsmon bridge.</description>
  <executable>${escapeXml(DEFAULT_NODE_EXE)}</executable>
${AGENT_NODE_FLAGS.map((flag) => `  <argument>${escapeXml(flag)}</argument>\n`).join('')}  <argument>%BASE%\\${BUNDLE_NAME}</argument>
  <argument>exporter</argument>
  <workingdirectory>%BASE%</workingdirectory>
  <env name="OBSMON_SERVER" value="${escapeXml(PLACEHOLDER_SERVER)}"/>
  <startmode>Automatic</startmode>
  <delayedAutoStart>true</delayedAutoStart>
  <!-- WinSW stops the agent with Ctrl+C (a clean shutdown, as on SIGINT), then kills it after this. -->
  <stoptimeout>15 sec</stoptimeout>
  <!-- Any exit of the agent with a non-zero status: the service control manager restarts it, without end. -->
  <onfailure action="restart" delay="10 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="60 sec"/>
  <resetfailure>1 hour</resetfailure>
  <!-- The agent's output in rotated files; WinSW reports service start, stop and failure to the Application event log. -->
  <logpath>%BASE%\\logs</logpath>
  <log mode="roll-by-size">
    <sizeThreshold>${LOG_SIZE_KB}</sizeThreshold>
    <keepFiles>${LOG_KEEP_FILES}</keepFiles>
  </log>
  <!-- Least privilege; install-agent.ps1 -Account LocalSystem removes this element. -->
  <serviceaccount>
    <domain>NT AUTHORITY</domain>
    <user>LocalService</user>
  </serviceaccount>
</service>
`;
}
