import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  type EventEndpoint,
  endpointView,
  newSigningSecret,
  signingSecrets,
} from '../../../../src/domain/events/endpoint.js';
import { eventBody, signatureHeaders } from '../../../../src/domain/events/signature.js';

const message = () => ({
  id: 'evt_1',
  body: eventBody('call.created', Date.now(), { callId: 'c_1', state: 'ringing' }),
});

const endpoint = (overrides: Partial<EventEndpoint> = {}): EventEndpoint => ({
  appKey: 'app1',
  url: 'https://hooks.example.com/callpush',
  events: undefined,
  secret: newSigningSecret(),
  previous: undefined,
  disabled: undefined,
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

describe('event signatures (Standard Webhooks)', () => {
  it('signs so that the official library verifies the delivery and hands back the body', () => {
    const secret = newSigningSecret();
    const m = message();
    const headers = signatureHeaders(m, [secret], Date.now());
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(m.body, headers)).toEqual({
      type: 'call.created',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      data: { callId: 'c_1', state: 'ringing' },
    });
  });

  it('a receiver with another secret, or a body changed on the way, is refused', () => {
    const m = message();
    const headers = signatureHeaders(m, [newSigningSecret()], Date.now());
    expect(() => new Webhook(newSigningSecret()).verify(m.body, headers)).toThrow(/No matching signature/);
    const secret = newSigningSecret();
    const signed = signatureHeaders(m, [secret], Date.now());
    expect(() => new Webhook(secret).verify(m.body.replace('ringing', 'answered'), signed)).toThrow();
  });

  it('during a rotation both signatures go out, and a receiver holding either secret verifies', () => {
    const previous = newSigningSecret();
    const current = newSigningSecret();
    const now = Date.now();
    const secrets = signingSecrets(
      endpoint({ secret: current, previous: { secret: previous, until: now + 1000 } }),
      now,
    );
    expect(secrets).toEqual([current, previous]);
    const m = message();
    const headers = signatureHeaders(m, secrets, now);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(previous).verify(m.body, headers)).toMatchObject({ type: 'call.created' });
    expect(new Webhook(current).verify(m.body, headers)).toMatchObject({ type: 'call.created' });
  });

  it('once the overlap ends only the new secret signs', () => {
    const current = newSigningSecret();
    const rotated = endpoint({ secret: current, previous: { secret: newSigningSecret(), until: 1000 } });
    expect(signingSecrets(rotated, 1000)).toEqual([current]);
  });

  it('a secret is whsec_ and the base64 of 32 random bytes', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it('the view of an endpoint shows fingerprints of its secrets, never a secret', () => {
    const e = endpoint({ previous: { secret: newSigningSecret(), until: 5000 } });
    const view = endpointView(e, 1000);
    const text = JSON.stringify(view);
    expect(text).not.toContain(e.secret.slice(6));
    expect(text).not.toContain(e.previous!.secret.slice(6));
    expect(view).toMatchObject({
      secretFingerprint: expect.stringMatching(/^sha256:[0-9a-f]{32}$/),
      previousSecretFingerprint: expect.stringMatching(/^sha256:/),
      previousSecretValidUntil: 5000,
      events: null,
      disabled: false,
    });
    expect(endpointView(e, 5000)).not.toHaveProperty('previousSecretFingerprint');
  });
});
