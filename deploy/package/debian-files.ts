import { AGENT_NODE_FLAGS, flagsText } from '../node-flags.ts';

/** A file of the Debian package: path inside the package tree, content and mode. */
export interface PackageFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export const PACKAGE_NAME = 'obsmon-agent';
export const SERVICE_USER = 'obsmon';
const UNIT = 'obsmon-exporter.service';

/**
 * The checkout's unit (deploy/systemd/obsmon-exporter.service), pointed at the packaged agent and run
 * as the package's system user: one unit, two installs, the same hardening.
 */
export function packagedUnit(checkoutUnit: string): string {
  const replaced = checkoutUnit
    .replace(/^Documentation=.*$/m, 'Documentation=file:///usr/share/doc/obsmon-agent/README')
    .replace(/^WorkingDirectory=.*\n/m, '')
    .replace(/^ExecStart=.*$/m, 'ExecStart=/usr/bin/obsmon exporter')
    .replace(
      /^DynamicUser=yes$/m,
      `User=${SERVICE_USER}\nGroup=${SERVICE_USER}\n# DynamicUser=yes implies these; a fixed system user keeps them explicitly.\nPrivateTmp=yes\nRemoveIPC=yes`,
    );
  for (const line of ['ExecStart=/usr/bin/obsmon exporter', `User=${SERVICE_USER}`]) {
    if (!replaced.includes(line)) throw new Error(`deploy/systemd/${UNIT} changed shape: cannot derive "${line}"`);
  }
  return replaced;
}

const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  getent group ${SERVICE_USER} >/dev/null || groupadd --system ${SERVICE_USER}
  getent passwd ${SERVICE_USER} >/dev/null || useradd --system --gid ${SERVICE_USER} --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment "obsmon agent" ${SERVICE_USER}
  chown root:${SERVICE_USER} /etc/obsmon/exporter.env
  chmod 640 /etc/obsmon/exporter.env
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable ${UNIT} >/dev/null
    systemctl restart ${UNIT}
  fi
fi
`;

const PRERM = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl stop ${UNIT} || true
  if [ "$1" = remove ]; then systemctl disable ${UNIT} >/dev/null || true; fi
fi
`;

const POSTRM = `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -f /etc/obsmon/exporter.env
  rmdir --ignore-fail-on-non-empty /etc/obsmon 2>/dev/null || true
  getent passwd ${SERVICE_USER} >/dev/null && userdel ${SERVICE_USER} || true
  getent group ${SERVICE_USER} >/dev/null && groupdel ${SERVICE_USER} || true
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
`;

const WRAPPER = `#!/bin/sh
# The packaged obsmon agent: the single-file bundle on the system's Node.js (>= 18), with the agent's node flags.
exec node ${flagsText(AGENT_NODE_FLAGS)} /usr/lib/obsmon/obsmon-agent.mjs "$@"
`;

export function debianFiles(version: string, checkoutUnit: string, envExample: string): PackageFile[] {
  const control = [
    `Package: ${PACKAGE_NAME}`,
    `Version: ${version}`,
    'Architecture: all',
    'Maintainer: obsmon developers <obsmon@localhost>',
    'Depends: nodejs (>= 18), passwd',
    'Section: admin',
    'Priority: optional',
    'Description: obsmon agent: reports this machine to an obsmon bridge',
    ' Reads CPU, memory, disks, network and load from /proc and /sys and sends one',
    ' line every 10 s to the obsmon bridge (OBSMON_SERVER in /etc/obsmon/exporter.env).',
    '',
  ].join('\n');
  return [
    { path: 'DEBIAN/control', content: control, mode: 0o644 },
    { path: 'DEBIAN/conffiles', content: '/etc/obsmon/exporter.env\n', mode: 0o644 },
    { path: 'DEBIAN/postinst', content: POSTINST, mode: 0o755 },
    { path: 'DEBIAN/prerm', content: PRERM, mode: 0o755 },
    { path: 'DEBIAN/postrm', content: POSTRM, mode: 0o755 },
    { path: 'usr/bin/obsmon', content: WRAPPER, mode: 0o755 },
    { path: `lib/systemd/system/${UNIT}`, content: packagedUnit(checkoutUnit), mode: 0o644 },
    { path: 'etc/obsmon/exporter.env', content: envExample, mode: 0o640 },
    {
      path: 'usr/share/doc/obsmon-agent/README',
      content: `obsmon agent ${version}\n\nSet OBSMON_SERVER (the bridge, host:7070) in /etc/obsmon/exporter.env, then\n  systemctl restart obsmon-exporter\n  journalctl -u obsmon-exporter -f\n'obsmon exporter --once' prints the line the agent sends; 'obsmon exporter --help' lists every option.\n`,
      mode: 0o644,
    },
  ];
}
