import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) -> `10.0.0.5`. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The allowlist of agent source networks (`--allow-from 10.1.0.0/16,192.168.5.7`). Empty = everyone.
 * Built on node:net BlockList, which does the CIDR arithmetic for both families.
 */
export class SourceFilter {
  private readonly list = new BlockList();
  readonly enabled: boolean;

  constructor(cidrs: readonly string[]) {
    this.enabled = cidrs.length > 0;
    for (const cidr of cidrs) {
      const [address = '', prefix] = cidr.split('/');
      const family = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!this.enabled) return true;
    if (remoteAddress === undefined) return false;
    const address = normaliseAddress(remoteAddress);
    return this.list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  }
}

const CIDR = /^([0-9.]+(\/(3[0-2]|[12]?\d))?|[0-9a-fA-F:]+(\/(12[0-8]|1[01]\d|\d?\d))?)$/;

/** Schema check for one allowlist entry. */
export function isCidr(text: string): boolean {
  if (!CIDR.test(text)) return false;
  const address = text.split('/')[0] ?? '';
  return isIPv4(address) || isIPv6(address);
}
