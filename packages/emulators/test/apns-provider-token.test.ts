import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApnsEmulator, startApnsEmulator } from '../src/apns/index.js';
import { providerToken, RawApnsConnection } from './apns-client.js';

const TOKEN = 'ab12cd34';
const MINUTE = 60_000;
/** n of P-256: (r, s) and (r, n - s) are both valid ECDSA signatures of the same message. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

let emulator: ApnsEmulator;
let clock: number;
const connections: RawApnsConnection[] = [];

/** A fresh connection, closed after the test: the token rules are per connection. */
function connect(): RawApnsConnection {
  const connection = new RawApnsConnection(emulator);
  connections.push(connection);
  return connection;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

beforeAll(async () => {
  emulator = await startApnsEmulator({ teamId: 'DEF123GHIJ', keyId: 'ABC123DEFG', now: () => clock });
});

beforeEach(async () => {
  clock = Date.UTC(2025, 0, 1);
  await Promise.all(connections.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await emulator.close();
});

async function expectReason(connection: RawApnsConnection, jwt: string, status: number, reason?: string) {
  const answer = await connection.push(TOKEN, jwt);
  expect([answer.status, answer.body]).toEqual([status, reason === undefined ? undefined : { reason }]);
}

describe('APNs provider tokens', () => {
  it('exposes the team id, key id and .p8 key a provider configures', () => {
    expect(emulator.teamId).toBe('DEF123GHIJ');
    expect(emulator.keyId).toBe('ABC123DEFG');
    expect(emulator.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('403 MissingProviderToken without a bearer token', async () => {
    const connection = connect();
    for (const authorization of [null, 'basic abc', 'bearer ']) {
      const answer = await connection.push(TOKEN, '', { authorization });
      expect([answer.status, answer.body]).toEqual([403, { reason: 'MissingProviderToken' }]);
    }
  });

  it('403 InvalidProviderToken for a bad signature, an unknown kid, another team, another alg or garbage', async () => {
    const iat = seconds(clock);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const sign = (header: Record<string, string>, claims: Record<string, unknown>, key = stranger) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', ...header }).sign(key);
    const own = createPrivateKey(emulator.privateKey);
    const tokens = [
      await sign({ kid: emulator.keyId }, { iss: emulator.teamId, iat }),
      await sign({ kid: 'ZZZ999ZZZZ' }, { iss: emulator.teamId, iat }, own),
      await sign({ kid: emulator.keyId }, { iss: 'OTHERTEAM1', iat }, own),
      await sign({ kid: emulator.keyId }, { iss: emulator.teamId }, own),
      await new SignJWT({ iss: emulator.teamId, iat })
        .setProtectedHeader({ alg: 'HS256', kid: emulator.keyId })
        .sign(new Uint8Array(32)),
      'not.a.jwt',
    ];
    for (const jwt of tokens) await expectReason(connect(), jwt, 403, 'InvalidProviderToken');
  });

  it('accepts a signature in both its low-S and high-S forms (Apple does not normalise S)', async () => {
    const jwt = await providerToken(emulator, seconds(clock));
    const [head, claims, signature] = jwt.split('.') as [string, string, string];
    const raw = Buffer.from(signature, 'base64url');
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
    const mirrored = `${head}.${claims}.${Buffer.concat([raw.subarray(0, 32), flipped]).toString('base64url')}`;
    await expectReason(connect(), jwt, 200);
    await expectReason(connect(), mirrored, 200);
  });

  it('403 ExpiredProviderToken for an iat older than one hour', async () => {
    await expectReason(
      connect(),
      await providerToken(emulator, seconds(clock - 60 * MINUTE) - 1),
      403,
      'ExpiredProviderToken',
    );
    await expectReason(connect(), await providerToken(emulator, seconds(clock - 59 * MINUTE)), 200);
  });

  it('lets a connection replace a token that aged past one hour without counting it as an update', async () => {
    const connection = connect();
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
    clock += 61 * MINUTE;
    await expectReason(
      connection,
      await providerToken(emulator, seconds(clock - 61 * MINUTE)),
      403,
      'ExpiredProviderToken',
    );
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
  });

  it('429 TooManyProviderTokenUpdates for a new token within 20 minutes; that connection stays refused', async () => {
    const connection = connect();
    const first = await providerToken(emulator, seconds(clock));
    await expectReason(connection, first, 200);
    clock += 19 * MINUTE;
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 429, 'TooManyProviderTokenUpdates');
    await expectReason(connection, first, 429, 'TooManyProviderTokenUpdates');
    await expectReason(connect(), await providerToken(emulator, seconds(clock)), 200);
  });

  it('accepts a new token on the same connection after 20 minutes', async () => {
    const connection = connect();
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
    clock += 20 * MINUTE;
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
  });

  it('403 UnrelatedKeyIdInToken when a second key shows up on a connection; it works on its own', async () => {
    const second = emulator.addKey();
    expect(second.teamId).toBe(emulator.teamId);
    const connection = connect();
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
    await expectReason(connection, await providerToken(second, seconds(clock)), 403, 'UnrelatedKeyIdInToken');
    await expectReason(connect(), await providerToken(second, seconds(clock)), 200);
  });

  it('scripted auth_expired lets the client refresh its token on the same connection', async () => {
    const connection = connect();
    const first = await providerToken(emulator, seconds(clock));
    await expectReason(connection, first, 200);
    emulator.behaviours.set(TOKEN, { kind: 'auth_expired', count: 1 });
    await expectReason(connection, first, 403, 'ExpiredProviderToken');
    clock += 1000;
    await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
  });
});

describe('APNs provider tokens on both hosts', () => {
  it("accepts the sandbox emulator's key when started with it, as Apple's two hosts share a team's keys", async () => {
    const production = await startApnsEmulator({ environment: 'production', key: emulator, now: () => clock });
    try {
      const connection = new RawApnsConnection(production);
      connections.push(connection);
      expect(production).toMatchObject({ teamId: emulator.teamId, keyId: emulator.keyId });
      await expectReason(connection, await providerToken(emulator, seconds(clock)), 200);
      // Its own keys stay its own: a key added to the sandbox is unknown to it.
      await expectReason(
        connection,
        await providerToken(emulator.addKey(), seconds(clock)),
        403,
        'InvalidProviderToken',
      );
    } finally {
      await production.close();
    }
  });
});
