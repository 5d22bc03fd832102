import { BlockList, isIP } from 'node:net';

/** Addresses no user-given URL may reach: private, loopback, link-local, and other special ranges. */
const forbidden = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

/**
 * Decides which resolved addresses outbound requests may connect to. `allowed` lists hosts or
 * addresses that are allowed even though private (ALLOW_PRIVATE_URLS, e.g. 127.0.0.1 in tests).
 */
export class AddressPolicy {
  private readonly allowed: Set<string>;

  constructor(allowed: readonly string[]) {
    this.allowed = new Set(allowed.map((entry) => entry.toLowerCase().replace(/^\[|\]$/g, '')));
  }

  isAllowed(hostname: string, address: string): boolean {
    if (this.allowed.has(hostname.toLowerCase()) || this.allowed.has(address)) return true;
    const family = isIP(address);
    if (family === 0) return false;
    if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
      return this.isAllowed(hostname, address.slice(7));
    }
    return !forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
