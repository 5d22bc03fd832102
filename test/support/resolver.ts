import type { HostResolver } from '../../src/outbound/http-client.ts';

/** A resolver answering fixed addresses per name, as a test's DNS; other names do not resolve. */
export function fixedResolver(names: Record<string, string[]>): HostResolver {
  return async (hostname) => {
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}
