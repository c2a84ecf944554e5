import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The private-address rule of every URL the gateway requests on someone's behalf (docs/security.md, "Outbound
 * requests: the endpoint policy"): unless private addresses are allowed, a URL must be https and its host must
 * be, or resolve only to, public unicast addresses. The rule is applied when the socket is made, through the
 * lookup the socket resolves its host with, so an answer that changed since the URL was checked (DNS
 * rebinding) is refused too.
 */

/** A request the endpoint policy refuses. The message is fixed words: never the host, nor what it resolved to. */
export class EndpointRefused extends Error {}

/** IPv4 ranges that are not public unicast (RFC 6890 and its successors). */
const RESERVED_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT (also Alibaba's metadata service, 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, with the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (Oracle's metadata service, 192.0.0.192)
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

/** The IPv6 address of `v4` inside the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052). */
function nat64(v4: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
  return `64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

const RESERVED = new BlockList();
for (const [network, prefix] of RESERVED_V4) {
  RESERVED.addSubnet(network, prefix, 'ipv4');
  // A DNS64 resolver hands out IPv4 destinations in this form; they are as public as the address inside.
  RESERVED.addSubnet(nat64(network), 96 + prefix, 'ipv6');
}
// Inside global unicast but not public: IETF protocol assignments (Teredo among them), documentation, 6to4
// (which embeds any IPv4 address, private ones included) and the newer documentation prefix.
RESERVED.addSubnet('2001::', 23, 'ipv6');
RESERVED.addSubnet('2001:db8::', 32, 'ipv6');
RESERVED.addSubnet('2002::', 16, 'ipv6');
RESERVED.addSubnet('3fff::', 20, 'ipv6');

/**
 * Where public IPv6 addresses are: global unicast plus NAT64. Everything else (loopback, unspecified,
 * IPv4-mapped, unique local with AWS's metadata address fd00:ec2::254, link-local, multicast) is not.
 * BlockList checks an IPv4-mapped address against the IPv4 rules, so `::ffff:127.0.0.1` is caught there.
 */
const ROUTABLE_V6 = new BlockList();
ROUTABLE_V6.addSubnet('2000::', 3, 'ipv6');
ROUTABLE_V6.addSubnet('64:ff9b::', 96, 'ipv6');

/** Whether `address` (an IP literal, IPv6 without brackets) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4:
      return !RESERVED.check(address, 'ipv4');
    case 6:
      return !RESERVED.check(address, 'ipv6') && ROUTABLE_V6.check(address, 'ipv6');
    default:
      return false;
  }
}

/** The host of `url` as an IP literal (IPv6 unbracketed), or undefined for a name. */
function literalHost(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

/**
 * Why `url` may not be requested, as fixed words, or undefined. What can be told without resolving: the
 * scheme, and a host written as an IP address (Node connects to those without a lookup). With `allowPrivate`
 * (an operator's setting, for emulators and in-house proxies) any http or https URL passes.
 */
export function staticRefusal(url: URL, allowPrivate: boolean): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (allowPrivate) return undefined;
  if (url.protocol !== 'https:') return 'must be https';
  const literal = literalHost(url);
  if (literal !== undefined && !isPublicAddress(literal)) return 'names a non-public address';
  return undefined;
}

/** Why `addresses` may not be connected to, or undefined: one non-public address refuses the host. */
function resolvedRefusal(addresses: readonly LookupAddress[]): string | undefined {
  return addresses.every((a) => isPublicAddress(a.address)) ? undefined : 'resolves to a non-public address';
}

type Resolve = (hostname: string, callback: (err: Error | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: Resolve = (hostname, callback) => dns.lookup(hostname, { all: true }, callback);

/**
 * The `lookup` for sockets that may only reach public addresses (http and https agents, http2.connect): it
 * resolves as Node would and fails the connection with EndpointRefused when any address is not public.
 * `resolve` is the system resolver except in tests.
 */
export function publicOnlyLookup(resolve: Resolve = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refusal = resolvedRefusal(addresses);
      if (refusal) return callback(new EndpointRefused(`the endpoint ${refusal}`), '', 0);
      const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
      const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
      const first = usable[0];
      if (!first)
        return callback(Object.assign(new Error('no address of the wanted family'), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as (err: null, addresses: LookupAddress[]) => void)(null, usable);
      callback(null, first.address, first.family);
    });
  };
}

/** How long a check at registration or credential time waits for DNS before leaving the decision to send time. */
const CHECK_RESOLVE_MS = 2_000;

/**
 * Why `url` may not be requested, resolving its host now: the clear early answer for a registration or a
 * credential. A host that does not resolve (yet), or not in time, passes: the check at send time decides then.
 */
export async function resolvedUrlRefusal(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolve = systemResolve,
): Promise<string | undefined> {
  const refusal = staticRefusal(url, allowPrivate);
  if (refusal || allowPrivate || literalHost(url) !== undefined) return refusal;
  const addresses = await new Promise<LookupAddress[]>((done) => {
    const timer = setTimeout(() => done([]), CHECK_RESOLVE_MS);
    resolve(url.hostname, (err, found) => {
      clearTimeout(timer);
      done(err ? [] : found);
    });
  });
  return resolvedRefusal(addresses);
}

/** The EndpointRefused behind a failed request (http2 wraps a session's failure as the cause of its streams'). */
export function endpointRefusal(err: unknown): EndpointRefused | undefined {
  if (err instanceof EndpointRefused) return err;
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof EndpointRefused ? cause : undefined;
}
