import { ok } from '@callpush/sdk';
import { type TargetFlags, withApp } from './target.js';

/** `callpush token <user>`: a user access token issued by the gateway, alone on stdout for `$(...)`. */
export async function issueToken(userId: string, flags: TargetFlags & { ttl?: number }): Promise<void> {
  const { accessToken } = await withApp(flags, (cp) =>
    ok(
      cp.POST('/v1/users/{userId}/access-tokens', {
        params: { path: { userId } },
        body: flags.ttl === undefined ? {} : { ttlSeconds: flags.ttl },
      }),
    ),
  );
  process.stdout.write(`${accessToken}\n`);
}

const shorten = (token: string) => (token.length > 24 ? `${token.slice(0, 21)}...` : token);

/** `callpush devices <user>`: the user's devices, one a line, or the API's JSON with `--json`. */
export async function listDevices(userId: string, flags: TargetFlags & { json?: boolean }): Promise<void> {
  const { devices } = await withApp(flags, (cp) =>
    ok(cp.GET('/v1/users/{userId}/devices', { params: { path: { userId } } })),
  );
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(devices, null, 2)}\n`);
    return;
  }
  if (devices.length === 0) {
    process.stdout.write(`${userId} has no devices\n`);
    return;
  }
  for (const d of devices) {
    const registrations = d.registrations.map((r) => `${r.kind} ${r.providerType}(${r.provider}) ${shorten(r.token)}`);
    const lastRing = d.lastRing ? `  last ring ${d.lastRing.state} ${new Date(d.lastRing.at).toISOString()}` : '';
    process.stdout.write(`${d.deviceId.padEnd(16)} ${registrations.join('; ')}${lastRing}\n`);
  }
}
