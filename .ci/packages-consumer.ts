// Type-checked by .ci/packages-check.sh in a folder where only the packed tarballs are installed (with
// skipLibCheck off): the published declaration files resolve, down to the gateway's internal aliases, and
// type what an app backend, a test suite and a device use.
import { type CallPushClient, type CallResult, type NotificationResult, queryPushPayload } from '@callpush/client';
import { type EmulatorCredentials, type Emulators, startEmulators } from '@callpush/emulators';
import { type Config, type Gateway, mintAccessToken, resolveConfig, startGateway } from '@callpush/server';

export async function backend(appKey: string, appSecret: string): Promise<string> {
  const minted: { accessToken: string; expiresAt: number } = await mintAccessToken(
    { namespace: 'callpush', maxLifetimeSeconds: 3600 },
    { appKey, appSecret, userId: 'bob', ttlSeconds: 600 },
  );
  return minted.accessToken;
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
