// Type-checked by .ci/packages-check.sh in a folder where only the packed tarballs are installed (with
// skipLibCheck off): the published declaration files resolve, down to the gateway's internal aliases, and
// type what an app backend (the SDK's generated client too), a test suite and a device use.
import { type CallPushClient, type CallResult, type NotificationResult, queryPushPayload } from '@callpush/client';
import { type EmulatorCredentials, type Emulators, startEmulators } from '@callpush/emulators';
import { type CallpushEvent, createCallpush, ok, verifyEvent } from '@callpush/sdk';
import { type Config, type Gateway, mintAccessToken, resolveConfig, startGateway } from '@callpush/server';

export async function backend(appKey: string, appSecret: string): Promise<string> {
  const minted: { accessToken: string; expiresAt: number } = await mintAccessToken(
    { namespace: 'callpush', maxLifetimeSeconds: 3600 },
    { appKey, appSecret, userId: 'bob', ttlSeconds: 600 },
  );
  return minted.accessToken;
}

/** The SDK's generated types reach the consumer: paths, bodies and answers are typed, not `any`. */
export async function placeCall(baseUrl: string, appKey: string, appSecret: string): Promise<string[]> {
  const cp = createCallpush({ baseUrl, appKey, appSecret });
  const call = await ok(cp.POST('/v1/calls', { body: { from: 'alice', to: ['bob'], video: true } }));
  // @ts-expect-error `to` is a list of user ids: with untyped (any) bodies this line would not be an error.
  await cp.POST('/v1/calls', { body: { from: 'alice', to: 'bob' } });
  return call.deliveries.map((d) => d.state);
}

export function event(secret: string, body: string, headers: Record<string, string>): CallpushEvent['type'] {
  return verifyEvent(secret, body, headers).type;
}

export async function suite(): Promise<[Gateway, Emulators, EmulatorCredentials]> {
  const config: Config = resolveConfig({ flags: {}, env: {}, file: undefined });
  const emulators = await startEmulators({});
  const gateway = await startGateway(config);
  return [gateway, emulators, emulators.credentials];
}

export function device(data: unknown): CallResult | undefined {
  const result: NotificationResult = queryPushPayload(data);
  return result.isCall ? result.callResult : undefined;
}

export type Client = InstanceType<typeof CallPushClient>;
