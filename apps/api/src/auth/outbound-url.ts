/**
 * Which URLs Gatehouse may fetch on an operator's say-so (a tenant's own IdP:
 * its JWKS URL, its issuer). In AWS mode a URL must not reach the machine's
 * own network: no loopback, private, link-local (the instance metadata service
 * at 169.254.169.254 / fd00:ec2::254), carrier-grade NAT, multicast or
 * reserved addresses, in any spelling — the WHATWG URL parser already turns
 * `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` into `127.0.0.1`, and the
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are
 * judged by that address. Host names are judged by every address they resolve
 * to, at registration and again at each fetch (DNS can change in between).
 * URLs carrying credentials are refused in every mode.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export const resolveHost: ResolveHost = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface OutboundPolicy {
  /** Local mode only: the emulator, test IdPs and their JWKS live on loopback. */
  readonly allowPrivateAddresses: boolean;
}

/** [first address, prefix length] */
type Cidr4 = readonly [string, number];

const NON_PUBLIC_V4: readonly Cidr4[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, instance metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

function v4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function isPublicV4(address: string): boolean {
  const value = v4ToNumber(address);
  return !NON_PUBLIC_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToNumber(base);
    return value >= start && value < start + size;
  });
}

/** The 16 bytes of an IPv6 address (any valid textual form, including a dotted IPv4 tail). */
function v6Bytes(address: string): number[] {
  let text = address.split('%')[0]!; // drop a zone id
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const value = v4ToNumber(tail[1]!);
    text = `${text.slice(0, -tail[1]!.length)}${((value >>> 16) & 0xffff).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group || '0', 16);
    return [value >> 8, value & 0xff];
  });
}

function embeddedV4(bytes: readonly number[], offset: number): string {
  return bytes.slice(offset, offset + 4).join('.');
}

function startsWith(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 1) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
}

function isPublicV6(address: string): boolean {
  const bytes = v6Bytes(address);
  const zeros = (count: number) => bytes.slice(0, count).every((byte) => byte === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, also :: and ::1): judged by the IPv4 address.
  if (zeros(10) && bytes[10] === 0xff && bytes[11] === 0xff) return isPublicV4(embeddedV4(bytes, 12));
  if (zeros(12)) return false;
  // 64:ff9b::/96 (NAT64): the IPv4 address it reaches.
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return isPublicV4(embeddedV4(bytes, 12));
  // 2002::/16 (6to4): the IPv4 address in bytes 2-5.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isPublicV4(embeddedV4(bytes, 2));
  const refused: readonly [readonly number[], number][] = [
    [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // local-use NAT64
    [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // discard
    [[0x20, 0x01, 0x00, 0x00], 32], // Teredo (tunnels to any IPv4 address)
    [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
    [[0xfc], 7], // unique local, incl. fd00:ec2::254 (instance metadata)
    [[0xfe, 0x80], 10], // link-local
    [[0xfe, 0xc0], 10], // site-local (deprecated)
    [[0xff], 8], // multicast
  ];
  return !refused.some(([prefix, bits]) => startsWith(bytes, [...prefix, ...Array<number>(16).fill(0)], bits));
}

/** True for an address on the public Internet; false for anything local, private, reserved — or not an address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicV4(address);
  if (family === 6) return isPublicV6(address);
  return false;
}

/** Host names that only ever mean this machine or its cloud's internal services. */
function isInternalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name.endsWith('.internal') || // metadata.google.internal, *.ec2.internal, *.compute.internal
    name.endsWith('.local') ||
    !name.includes('.')
  );
}

export class OutboundUrlRefused extends Error {
  override readonly name = 'OutboundUrlRefused';
}

/** The URL's host without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Parses and checks a URL without touching the network: scheme, credentials,
 * IP literals, internal names. Throws {@link OutboundUrlRefused} with a reason
 * that never repeats the URL (it may hold a secret).
 */
export function checkUrlShape(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlRefused('must be an absolute URL');
  }
  if (url.username || url.password) throw new OutboundUrlRefused('must not carry credentials');
  if (url.protocol !== 'https:' && !(policy.allowPrivateAddresses && url.protocol === 'http:')) {
    throw new OutboundUrlRefused('must be an https URL');
  }
  if (policy.allowPrivateAddresses) return url;
  const host = bareHost(url);
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw new OutboundUrlRefused('must not point at a loopback, private, link-local or reserved address');
  } else if (isInternalName(host)) {
    throw new OutboundUrlRefused('must name a public host');
  }
  return url;
}

/**
 * The addresses to connect to for `url`, each checked: an IP literal as is, a
 * name as resolved now. Refuses when any resolved address is not public (a
 * name that answers with one public and one private address is not safer).
 */
export async function resolvePublicAddresses(url: URL, policy: OutboundPolicy, resolve: ResolveHost): Promise<string[]> {
  const host = bareHost(url);
  if (isIP(host) !== 0) return [host];
  let addresses: readonly string[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new OutboundUrlRefused('must name a host that resolves');
  }
  if (addresses.length === 0) throw new OutboundUrlRefused('must name a host that resolves');
  if (!policy.allowPrivateAddresses && addresses.some((address) => !isPublicAddress(address))) {
    throw new OutboundUrlRefused('must not resolve to a loopback, private, link-local or reserved address');
  }
  return [...addresses];
}

/** The URL with any user name and password removed, for logs and audit events. */
export function withoutCredentials(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * A `lookup` that answers with the one address we checked, whatever form Node asks
 * for: the connection goes where the check said, so a DNS answer that changes between
 * the check and the connect (rebinding) cannot redirect it. Every outbound caller
 * (JWKS and discovery, webhooks, hooks) connects through it.
 */
export function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}
