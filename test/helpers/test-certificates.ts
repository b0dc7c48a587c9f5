import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A client certificate with this common name and, optionally, DNS subject alternative names. */
  client(cn: string, dnsNames?: readonly string[]): { cert: Buffer; key: Buffer };
  pem(path: string): Buffer;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A throwaway CA with a server certificate for 127.0.0.1 and client certificates on demand (real openssl). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-pki-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=obsmon test CA',
    ],
    dir,
  );
  const issue = (name: string, cn: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  let clients = 0;
  issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    client(cn, dnsNames = []) {
      // Numbered files: a CN such as `*` is a hostile test input, not a file name.
      const name = `client-${(clients += 1)}`;
      const san = dnsNames.length === 0 ? '' : `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}\n`;
      issue(name, cn, `extendedKeyUsage=clientAuth\n${san}`);
      return { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) };
    },
    pem: (path) => readFileSync(path),
  };
}
