import { spawn } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import apn from '@parse/node-apn';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');
const child = spawn(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    CLI,
    'emulators',
    '--fcm-port',
    '0',
    '--hms-port',
    '0',
    '--apns-port',
    '0',
    '--webpush-port',
    '0',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
afterAll(() => {
  child.kill('SIGTERM');
});

async function printed(): Promise<any> {
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out));
      } catch {
        // not all of it yet
      }
    });
    child.once('exit', (code) => reject(new Error(`callpush emulators exited ${code}`)));
  });
}

describe('callpush emulators', () => {
  it('prints credentials that the official clients and the OAuth endpoints accept', async () => {
    const creds = await printed();
    // web-push: an encrypted, VAPID-signed message to the printed subscription.
    const vapid = webpush.generateVAPIDKeys();
    const sub = creds.webpush.subscriptions[0];
    const sent = await webpush.sendNotification(sub, '{"hello":"web"}', {
      vapidDetails: { subject: 'mailto:t@example.com', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
      agent: new https.Agent({ ca: creds.ca }),
      TTL: 30,
    });
    expect(sent.statusCode).toBe(201);

    // node-apn: a VoIP push with the printed team id, key id and .p8 key.
    const url = new URL(creds.apns.baseUrl);
    const provider = new apn.Provider({
      token: { key: creds.apns.privateKey, keyId: creds.apns.keyId, teamId: creds.apns.teamId },
      address: url.hostname,
      port: Number(url.port),
      ca: creds.ca,
    } as apn.ProviderOptions);
    const note = new apn.Notification({
      topic: 'com.example.app.voip',
      pushType: 'voip',
      priority: 10,
      payload: { callpush: {} },
    });
    const result = await provider.send(note, 'ab'.repeat(32));
    provider.shutdown();
    expect(result.failed).toEqual([]);
    expect(result.sent).toHaveLength(1);

    // HMS: the printed app id and secret get an access token from the printed token URL.
    const hms = await fetch(creds.hms.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: creds.hms.appId,
        client_secret: creds.hms.clientSecret,
      }),
    });
    expect(hms.status).toBe(200);
    expect(creds.fcm.serviceAccount.token_uri).toBe(`${creds.fcm.baseUrl}/token`);
  });
});
