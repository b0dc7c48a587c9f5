/** A listen address as it goes into a URL: IPv6 in brackets, wildcard shown as loopback-reachable. */
export function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
