import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfigFile, resolveConfig } from '../../src/infra/config/index.js';

describe('configuration', () => {
  it('defaults to the embedded sandbox on loopback:8080', () => {
    const c = resolveConfig({ env: {} });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      sandbox: true,
      tokenNamespace: 'callpush',
      maxDevicesPerUser: 25,
    });
    expect(c.dataDir).toBe(path.resolve('.callpush'));
  });

  it('turns the sandbox off when an admin token or a database is configured', () => {
    expect(resolveConfig({ env: { CALLPUSH_ADMIN_TOKEN: 'x'.repeat(16) } }).sandbox).toBe(false);
    expect(resolveConfig({ env: { DATABASE_URL: 'postgres://h/db', CALLPUSH_MASTER_KEY: 'k' } }).sandbox).toBe(false);
  });

  it('reads the same keys from a file, with flags over environment over file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'callpush-config-'));
    const file = path.join(dir, 'callpush.json');
    writeFileSync(file, JSON.stringify({ PORT: 9000, HOST: '0.0.0.0', CALLPUSH_TOKEN_NAMESPACE: 'rtc.sinch.com' }));
    const c = resolveConfig({ file: readConfigFile(file), env: { PORT: '9100' }, flags: { HOST: '::1' } });
    expect([c.port, c.host, c.tokenNamespace]).toEqual([9100, '::1', 'rtc.sinch.com']);
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    expect(() => readConfigFile(file)).toThrow(/unknown key PROT/);
  });

  it('refuses bad values with a message naming the setting', () => {
    expect(() => resolveConfig({ env: { PORT: 'eighty' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { PORT: 'eighty' } })).toThrow(/PORT/);
    expect(() => resolveConfig({ env: { DATABASE_URL: 'postgres://h/db' } })).toThrow(/CALLPUSH_MASTER_KEY/);
    expect(() => resolveConfig({ env: { CALLPUSH_ADMIN_TOKEN: 'short' } })).toThrow(/at least 16/);
  });

  it('keeps history and events 30 days, retries an event a day, overlaps a rotated secret a day; refuses nonsense', () => {
    expect(resolveConfig({ env: {} })).toMatchObject({
      retentionDays: 30,
      eventRetryHours: 24,
      eventSecretOverlapSeconds: 86_400,
    });
    const set = {
      CALLPUSH_RETENTION_DAYS: '7',
      CALLPUSH_EVENT_RETRY_HOURS: '2',
      CALLPUSH_EVENT_SECRET_OVERLAP_SECONDS: '0',
    };
    expect(resolveConfig({ env: set })).toMatchObject({
      retentionDays: 7,
      eventRetryHours: 2,
      eventSecretOverlapSeconds: 0,
    });
    for (const name of Object.keys(set)) {
      expect(() => resolveConfig({ env: { [name]: '-1' } }), name).toThrow(new RegExp(name));
    }
    expect(() => resolveConfig({ env: { CALLPUSH_RETENTION_DAYS: '0' } })).toThrow(/CALLPUSH_RETENTION_DAYS/);
  });

  it('allows any origin by default and takes a list of exact origins', () => {
    expect(resolveConfig({ env: {} }).corsOrigins).toBe('*');
    const c = resolveConfig({ env: { CALLPUSH_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' } });
    expect(c.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(() => resolveConfig({ env: { CALLPUSH_CORS_ORIGINS: 'https://app.example.com/path' } })).toThrow(
      /CALLPUSH_CORS_ORIGINS: https:\/\/app.example.com\/path is not an origin/,
    );
  });

  it('allows private endpoints with the sandbox only, unless told, and never turns them off under the sandbox', () => {
    const admin = { CALLPUSH_ADMIN_TOKEN: 'x'.repeat(16) };
    expect(resolveConfig({ env: {} }).allowPrivateEndpoints).toBe(true);
    expect(resolveConfig({ env: admin }).allowPrivateEndpoints).toBe(false);
    expect(resolveConfig({ env: { ...admin, CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' } }).allowPrivateEndpoints).toBe(
      true,
    );
    expect(() => resolveConfig({ env: { CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'false' } })).toThrow(/sandbox needs/);
    expect(() => resolveConfig({ env: { ...admin, CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'yes' } })).toThrow(
      /CALLPUSH_ALLOW_PRIVATE_ENDPOINTS must be/,
    );
  });

  it('reads the Web Push host list: names and *.domains, lower-cased', () => {
    expect(resolveConfig({ env: {} }).webPushHosts).toEqual([]);
    const c = resolveConfig({ env: { CALLPUSH_WEBPUSH_HOSTS: 'FCM.googleapis.com, *.notify.windows.com' } });
    expect(c.webPushHosts).toEqual(['fcm.googleapis.com', '*.notify.windows.com']);
    expect(() => resolveConfig({ env: { CALLPUSH_WEBPUSH_HOSTS: 'https://push.example.com' } })).toThrow(
      /CALLPUSH_WEBPUSH_HOSTS: https:\/\/push.example.com is not a host name/,
    );
  });
});
