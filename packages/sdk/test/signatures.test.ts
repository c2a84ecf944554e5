import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { SignatureError, signKaleyraWebhook, verifyEvent, verifyKaleyraSignature } from '../src/index.js';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({ type: 'call.created', timestamp: '2026-01-01T00:00:00.000Z', data: { callId: 'c_1' } });

/** An event signed by the Standard Webhooks reference library, as the gateway signs them. */
function signed(secrets: string[], id = 'evt_1', payload = body, at = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, payload)).join(' '),
  };
}

describe('verifyEvent', () => {
  it('returns the event of a delivery signed with the secret, from any form of headers', () => {
    const s = secret();
    const headers = signed([s]);
    const event = { id: 'evt_1', type: 'call.created', timestamp: '2026-01-01T00:00:00.000Z', data: { callId: 'c_1' } };
    expect(verifyEvent(s, body, headers)).toEqual(event);
    expect(verifyEvent(s, Buffer.from(body), new Headers(headers))).toEqual(event);
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(verifyEvent(s, body, shouting)).toEqual(event);
  });

  it('verifies with either secret of a rotation, whichever signed', () => {
    const [old, next] = [secret(), secret()];
    expect(verifyEvent([old, next], body, signed([old])).id).toBe('evt_1');
    expect(verifyEvent([old, next], body, signed([next])).id).toBe('evt_1');
    expect(verifyEvent(next, body, signed([old, next])).id).toBe('evt_1');
  });

  it('refuses another secret, a changed body, a stale timestamp and missing headers', () => {
    const s = secret();
    expect(() => verifyEvent(secret(), body, signed([s]))).toThrow(SignatureError);
    expect(() => verifyEvent(s, body.replace('c_1', 'c_2'), signed([s]))).toThrow(SignatureError);
    expect(() => verifyEvent(s, body, signed([s], 'evt_1', body, new Date(Date.now() - 600_000)))).toThrow(
      SignatureError,
    );
    expect(() => verifyEvent(s, body, { 'webhook-id': 'evt_1' })).toThrow(SignatureError);
  });

  it('refuses a signed body that is not an event', () => {
    const s = secret();
    expect(() => verifyEvent(s, '{"hello":1}', signed([s], 'x', '{"hello":1}'))).toThrow(TypeError);
  });
});

describe('Kaleyra signatures', () => {
  const raw = Buffer.from('{"event":"on_call_incoming","room_id":"r1"}');

  it('verifies a bandyer-signature it made, and refuses it on another body, secret or time', () => {
    const now = Date.now();
    const headers = signKaleyraWebhook('bandyer', 'sekret', raw, { now });
    expect(headers['bandyer-signature']).toMatch(/^t=\d+,v0=[0-9a-f]{64}$/);
    expect(() => verifyKaleyraSignature('sekret', raw, headers, now)).not.toThrow();
    expect(() => verifyKaleyraSignature('sekret', Buffer.from(`${raw} `), headers, now)).toThrow(SignatureError);
    expect(() => verifyKaleyraSignature('other', raw, headers, now)).toThrow(SignatureError);
    expect(() => verifyKaleyraSignature('sekret', raw, headers, now + 301_000)).toThrow(SignatureError);
    expect(() => verifyKaleyraSignature('sekret', raw, { 'bandyer-signature': 't=1' }, now)).toThrow(SignatureError);
  });

  it('signs the standard scheme with an id that is the same for the same body', () => {
    const s = secret();
    const first = signKaleyraWebhook('standard', s, raw);
    expect(signKaleyraWebhook('standard', s, raw)['webhook-id']).toBe(first['webhook-id']);
    expect(signKaleyraWebhook('standard', s, Buffer.from('{}'))['webhook-id']).not.toBe(first['webhook-id']);
    expect(new Webhook(s).verify(raw.toString(), first)).toEqual(JSON.parse(raw.toString()));
  });
});
