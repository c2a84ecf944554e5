import { afterAll, beforeAll } from 'vitest';
import { type FcmEmulator, type FcmTransport, startFcmEmulator } from '../../src/fcm/index.js';

/**
 * One FCM emulator per transport for the test file that calls this (started before its tests, closed after
 * them). The record is filled in `beforeAll`: read it inside hooks and tests only.
 */
export function useFcmEmulators(): Record<FcmTransport, FcmEmulator> {
  const emulators = {} as Record<FcmTransport, FcmEmulator>;
  beforeAll(async () => {
    [emulators.h2c, emulators.tls] = await Promise.all([
      startFcmEmulator({ transport: 'h2c' }),
      startFcmEmulator({ transport: 'tls' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([emulators.h2c.close(), emulators.tls.close()]);
  });
  return emulators;
}
