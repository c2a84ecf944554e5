import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  EndpointRefused,
  endpointRefusal,
  isPublicAddress,
  publicOnlyLookup,
  resolvedUrlRefusal,
  staticRefusal,
} from '../../../../src/infra/net/endpoint-policy.js';

describe('isPublicAddress', () => {
  const notPublic = [
    '127.0.0.1',
    '127.255.0.9',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1', // CGNAT
    '100.100.100.200', // Alibaba metadata
    '169.254.169.254', // AWS, GCP, Azure metadata
    '192.0.0.192', // Oracle metadata
    '224.0.0.251', // multicast
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    '::ffff:127.0.0.1', // IPv4-mapped loopback
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:8.8.8.8', // mapped, even of a public address: no DNS answer should be one
    'fd00:ec2::254', // AWS IPv6 metadata
    'fc00::1',
    'fe80::1',
    'ff02::1',
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '2001:db8::1',
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2001:0:4136:e378::1', // Teredo
    'localhost',
    'not an address',
  ];
  it.each(notPublic)('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  const isPublic = [
    '8.8.8.8',
    '142.250.74.10',
    '172.32.0.1',
    '100.128.0.1',
    '2a00:1450:4001:80e::200a',
    '64:ff9b::808:808',
  ];
  it.each(isPublic)('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('staticRefusal', () => {
  const url = (text: string) => new URL(text);

  it('refuses plain http, other schemes and non-public IP literals, in every spelling the URL parser knows', () => {
    expect(staticRefusal(url('http://push.example.net/x'), false)).toBe('must be https');
    expect(staticRefusal(url('ftp://push.example.net/x'), false)).toBe('must be an http or https URL');
    for (const host of [
      '127.0.0.1',
      '0x7f000001',
      '2130706433',
      '127.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '169.254.169.254',
    ]) {
      expect(staticRefusal(url(`https://${host}:8443/v1/apps?x`), false), host).toBe('names a non-public address');
    }
  });

  it('passes https to a public literal or any name (names are checked when resolved)', () => {
    expect(staticRefusal(url('https://8.8.8.8/'), false)).toBeUndefined();
    expect(staticRefusal(url('https://localhost:1/'), false)).toBeUndefined();
  });

  it('with private addresses allowed, passes any http or https URL, and still no other scheme', () => {
    expect(staticRefusal(url('http://127.0.0.1:8080/v1/apps'), true)).toBeUndefined();
    expect(staticRefusal(url('file:///etc/passwd'), true)).toBe('must be an http or https URL');
  });
});

/** A resolver answering from a table, counting its calls (what a DNS-rebinding attacker controls). */
function resolver(answers: LookupAddress[][]) {
  let calls = 0;
  const resolve = (_host: string, callback: (err: Error | null, addresses: LookupAddress[]) => void) => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!;
    queueMicrotask(() => callback(null, answer));
  };
  return { resolve, calls: () => calls };
}

const lookupOnce = (lookup: ReturnType<typeof publicOnlyLookup>, all: boolean) =>
  new Promise<{ err: Error | null; address: unknown }>((done) =>
    lookup('push.example.net', { all }, (err, address) => done({ err, address })),
  );

describe('publicOnlyLookup', () => {
  const PUBLIC: LookupAddress = { address: '93.184.216.34', family: 4 };
  const LOOPBACK: LookupAddress = { address: '127.0.0.1', family: 4 };

  it('connects to what a name resolves to when every address is public, in both lookup forms', async () => {
    const lookup = publicOnlyLookup(resolver([[PUBLIC, { address: '2a00:1450::1', family: 6 }]]).resolve);
    expect(await lookupOnce(lookup, false)).toEqual({ err: null, address: '93.184.216.34' });
    expect((await lookupOnce(lookup, true)).address).toHaveLength(2);
  });

  it('refuses a name that resolves to a loopback address, or to any private one among public ones', async () => {
    for (const answer of [[LOOPBACK], [PUBLIC, { address: '::1', family: 6 }]]) {
      const { err } = await lookupOnce(publicOnlyLookup(resolver([answer]).resolve), true);
      expect(err).toBeInstanceOf(EndpointRefused);
      expect(err?.message).toBe('the endpoint resolves to a non-public address');
    }
  });

  it('checks every resolution: a name that turns private after being checked (DNS rebinding) is refused then', async () => {
    const rebinding = resolver([[PUBLIC], [LOOPBACK]]);
    expect(await resolvedUrlRefusal(new URL('https://push.example.net/p'), false, rebinding.resolve)).toBeUndefined();
    const { err } = await lookupOnce(publicOnlyLookup(rebinding.resolve), false);
    expect(err).toBeInstanceOf(EndpointRefused);
    expect(rebinding.calls()).toBe(2);
  });
});

describe('resolvedUrlRefusal', () => {
  it('refuses a name resolving to a private address, and what staticRefusal refuses', async () => {
    const toMetadata = resolver([[{ address: '169.254.169.254', family: 4 }]]).resolve;
    expect(await resolvedUrlRefusal(new URL('https://metadata.example/'), false, toMetadata)).toBe(
      'resolves to a non-public address',
    );
    expect(await resolvedUrlRefusal(new URL('http://push.example.net/'), false, toMetadata)).toBe('must be https');
  });

  it('leaves a name that does not resolve to the check at send time, and does not resolve when private is allowed', async () => {
    const failing = (_h: string, cb: (err: Error | null, a: LookupAddress[]) => void) => cb(new Error('ENOTFOUND'), []);
    expect(await resolvedUrlRefusal(new URL('https://nowhere.invalid/'), false, failing)).toBeUndefined();
    const never = resolver([[{ address: '127.0.0.1', family: 4 }]]);
    expect(await resolvedUrlRefusal(new URL('https://emulator.test/'), true, never.resolve)).toBeUndefined();
    expect(never.calls()).toBe(0);
  });
});

describe('endpointRefusal', () => {
  it('finds the refusal itself or as the cause of a stream failure', () => {
    const refused = new EndpointRefused('the endpoint resolves to a non-public address');
    expect(endpointRefusal(refused)).toBe(refused);
    expect(endpointRefusal(new Error('The pending stream has been canceled', { cause: refused }))).toBe(refused);
    expect(endpointRefusal(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });
});
