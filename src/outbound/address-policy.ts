import { isIPv4, isIPv6 } from 'node:net';

type Range = { bytes: Uint8Array; prefix: number };

/** IPv4 ranges no user-given URL may reach: private, loopback, link-local, CGNAT, documentation, multicast and reserved. */
const forbiddenV4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map((cidr) => range(cidr, parseIPv4));

/**
 * IPv6 ranges refused outright. `::/96` holds the unspecified and loopback addresses and the
 * deprecated IPv4-compatible form (`::127.0.0.1`), which no public host uses.
 */
const forbiddenV6 = ['::/96', '100::/64', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'].map((cidr) =>
  range(cidr, parseIPv6),
);

/** IPv6 forms that carry an IPv4 address, judged by that address: where the connection really ends up. */
const embeddingV4 = [
  { range: range('::ffff:0:0/96', parseIPv6), offset: 12 },
  { range: range('64:ff9b::/96', parseIPv6), offset: 12 },
  { range: range('64:ff9b:1::/48', parseIPv6), offset: 12 },
  { range: range('2002::/16', parseIPv6), offset: 2 },
];

/**
 * Decides which resolved addresses outbound requests may connect to. `allowed` lists hosts or
 * addresses that are allowed even though private (ALLOW_PRIVATE_URLS, e.g. 127.0.0.1 in tests).
 *
 * Addresses are compared as bytes, not with `net.BlockList`: on Node 20 an IPv6 rule for
 * `::ffff:0:0/96` in a BlockList matches every IPv4 address checked against it.
 */
export class AddressPolicy {
  private readonly allowed: Set<string>;

  constructor(allowed: readonly string[]) {
    this.allowed = new Set(allowed.map((entry) => entry.toLowerCase().replace(/^\[|\]$/g, '')));
  }

  isAllowed(hostname: string, address: string): boolean {
    const bare = address.toLowerCase().replace(/^\[|\]$/g, '');
    if (this.allowed.has(hostname.toLowerCase().replace(/^\[|\]$/g, '')) || this.allowed.has(bare)) return true;
    if (isIPv4(bare)) return isPublicV4(parseIPv4(bare));
    if (!isIPv6(bare)) return false;
    const bytes = parseIPv6(bare);
    const embedding = embeddingV4.find((candidate) => inRange(bytes, candidate.range));
    if (embedding) {
      const v4 = bytes.subarray(embedding.offset, embedding.offset + 4);
      return this.allowed.has(v4.join('.')) || isPublicV4(v4);
    }
    return !forbiddenV6.some((forbidden) => inRange(bytes, forbidden));
  }
}

function isPublicV4(bytes: Uint8Array): boolean {
  return !forbiddenV4.some((forbidden) => inRange(bytes, forbidden));
}

function range(cidr: string, parse: (address: string) => Uint8Array): Range {
  const [address, prefix] = cidr.split('/') as [string, string];
  return { bytes: parse(address), prefix: Number(prefix) };
}

function inRange(bytes: Uint8Array, { bytes: network, prefix }: Range): boolean {
  if (bytes.length !== network.length) return false;
  const whole = Math.floor(prefix / 8);
  for (let index = 0; index < whole; index += 1) if (bytes[index] !== network[index]) return false;
  const rest = prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole]! & mask) === (network[whole]! & mask);
}

function parseIPv4(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** Any valid IPv6 spelling (compressed, with an embedded dotted quad) as its 16 bytes. */
function parseIPv6(address: string): Uint8Array {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = parseIPv4(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}
