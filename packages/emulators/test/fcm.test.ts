import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FcmEmulator, FcmTransport } from '../src/fcm/index.js';
import { useFcmEmulators } from './support/fcm-emulators.js';
import { Http2Connection, http1, type RawAnswer, type RawRequest } from './support/raw-http.js';

/** The FCM error model over raw HTTP/2 and HTTP/1.1, on both transports, as a hand-written client sees it. */

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

interface Client {
  send(path: string, request: RawRequest): Promise<RawAnswer>;
  close(): Promise<void>;
}

function http2Client(fcm: FcmEmulator): Client {
  const connection = new Http2Connection(fcm.baseUrl, fcm.tls?.ca);
  return { send: (path, request) => connection.request(path, request), close: () => connection.close() };
}

function http1Client(fcm: FcmEmulator): Client {
  const ca = fcm.tls?.ca;
  return { send: (path, request) => http1(`${fcm.baseUrl}${path}`, request, ca ? { ca } : {}), close: async () => {} };
}

const emulators = useFcmEmulators();

describe.each([
  ['h2c', 'HTTP/2', http2Client],
  ['h2c', 'HTTP/1.1', http1Client],
  ['tls', 'HTTP/2', http2Client],
  ['tls', 'HTTP/1.1', http1Client],
] as Array<[FcmTransport, string, (fcm: FcmEmulator) => Client]>)(
  'FCM emulator (%s, %s)',
  (transport, _protocol, connect) => {
    let fcm: FcmEmulator;
    let client: Client;
    let bearer: string;

    beforeAll(() => {
      fcm = emulators[transport];
      client = connect(fcm);
      bearer = `Bearer ${fcm.issueAccessToken().access_token}`;
    });

    afterEach(() => {
      fcm.messages.clear();
      fcm.behaviours.clear();
      fcm.faults.clear();
    });

    afterAll(() => client.close());

    function send(message: object, options: { project?: string; authorization?: string; validateOnly?: boolean } = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
      const authorization = options.authorization ?? bearer;
      if (authorization) headers.authorization = authorization;
      const body = options.validateOnly ? { validate_only: true, message } : { message };
      return client.send(`/v1/projects/${options.project ?? fcm.projectId}/messages:send`, { headers, body });
    }

    const call = (token: string) => ({
      token,
      data: { type: 'incoming_call', call_id: 'c-123' },
      android: { priority: 'HIGH', ttl: '30s' },
    });

    function expectFcmError(answer: RawAnswer, status: number, canonical: string, errorCode: string): void {
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.json.error).toMatchObject({ code: status, status: canonical });
      expect(answer.json.error.details).toContainEqual({ '@type': FCM_ERROR, errorCode });
    }

    it('accepts a message, names it, and records it without the credential', async () => {
      const answer = await send(call('tok-1'));
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        name: expect.stringMatching(new RegExp(`^projects/${fcm.projectId}/messages/0:`)),
      });
      const [recorded] = fcm.messages.list();
      expect(recorded).toMatchObject({ provider: 'fcm', token: 'tok-1', payload: call('tok-1') });
      expect(recorded?.receivedAt).toBeGreaterThan(Date.now() - 5000);
      expect(recorded?.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect(recorded?.headers.authorization).toBeUndefined();
    });

    it('accepts the project number in place of the id', async () => {
      expect((await send(call('tok-1'), { project: fcm.projectNumber })).status).toBe(200);
    });

    it('validate_only checks the token but delivers nothing', async () => {
      const ok = await send(call('tok-1'), { validateOnly: true });
      expect(ok.json).toEqual({ name: `projects/${fcm.projectId}/messages/fake_message_id` });
      fcm.behaviours.set('tok-2', { kind: 'unregistered' });
      expectFcmError(await send(call('tok-2'), { validateOnly: true }), 404, 'NOT_FOUND', 'UNREGISTERED');
      expect(fcm.messages.list()).toEqual([]);
    });

    it('unregistered → 404 NOT_FOUND / UNREGISTERED', async () => {
      fcm.behaviours.set('tok-1', { kind: 'unregistered' });
      const answer = await send(call('tok-1'));
      expectFcmError(answer, 404, 'NOT_FOUND', 'UNREGISTERED');
      expect(answer.json.error.message).toBe('Requested entity was not found.');
      expect(fcm.messages.list()).toEqual([]);
    });

    it('invalid → 400 INVALID_ARGUMENT with the FcmError detail naming the token', async () => {
      fcm.behaviours.set('tok-1', { kind: 'invalid' });
      const answer = await send(call('tok-1'));
      expectFcmError(answer, 400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
      expect(answer.json.error.message).toBe('The registration token is not a valid FCM registration token');
    });

    it('rate_limited → 429 RESOURCE_EXHAUSTED / QUOTA_EXCEEDED with Retry-After', async () => {
      fcm.behaviours.set('tok-1', { kind: 'rate_limited', retryAfterSeconds: 17 });
      const answer = await send(call('tok-1'));
      expectFcmError(answer, 429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED');
      expect(answer.headers['retry-after']).toBe('17');
    });

    it('unavailable → 503 UNAVAILABLE for the next N requests only, Retry-After when scripted', async () => {
      fcm.behaviours.set('tok-1', { kind: 'unavailable', count: 2, retryAfterSeconds: 3 });
      for (let i = 0; i < 2; i++) {
        const answer = await send(call('tok-1'));
        expectFcmError(answer, 503, 'UNAVAILABLE', 'UNAVAILABLE');
        expect(answer.headers['retry-after']).toBe('3');
      }
      expect((await send(call('tok-1'))).status).toBe(200);
    });

    it('auth_expired → 401 UNAUTHENTICATED without details (refresh the token)', async () => {
      fcm.behaviours.set('tok-1', { kind: 'auth_expired' });
      const answer = await send(call('tok-1'));
      expect(answer.status).toBe(401);
      expect(answer.json.error).toEqual({ code: 401, status: 'UNAUTHENTICATED', message: expect.any(String) });
      expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('latency delays the answer', async () => {
      fcm.behaviours.set('tok-1', { kind: 'latency', ms: 60 });
      const started = Date.now();
      expect((await send(call('tok-1'))).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    });

    it.each([
      ['INTERNAL', 500, 'INTERNAL'],
      ['SENDER_ID_MISMATCH', 403, 'PERMISSION_DENIED'],
      ['THIRD_PARTY_AUTH_ERROR', 401, 'UNAUTHENTICATED'],
      ['UNAVAILABLE', 503, 'UNAVAILABLE'],
    ] as const)('fault %s → %i %s', async (errorCode, status, canonical) => {
      fcm.faults.set('tok-1', { errorCode }, 1);
      expectFcmError(await send(call('tok-1')), status, canonical, errorCode);
      expect((await send(call('tok-1'))).status).toBe(200);
    });

    it('a bare-status fault answers a non-JSON page, Retry-After as an HTTP-date', async () => {
      const date = new Date(Date.now() + 60_000).toUTCString();
      fcm.faults.set('tok-1', { status: 502, retryAfter: date });
      const answer = await send(call('tok-1'));
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.json).toBeUndefined();
      expect(answer.headers['retry-after']).toBe(date);
    });

    it('refuses a missing, unknown or expired bearer with 401 and no details', async () => {
      const expired = `Bearer ${fcm.issueAccessToken(0).access_token}`;
      for (const authorization of ['', 'Bearer ya29.not-issued-here', expired]) {
        const answer = await send(call('tok-1'), { authorization });
        expect(answer.status).toBe(401);
        expect(answer.json.error.status).toBe('UNAUTHENTICATED');
        expect(answer.json.error.details).toBeUndefined();
      }
    });

    it('refuses another project with 403 PERMISSION_DENIED and no FcmError', async () => {
      const answer = await send(call('tok-1'), { project: 'not-my-project' });
      expect(answer.status).toBe(403);
      expect(answer.json.error).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect(answer.json.error.details).toBeUndefined();
    });

    it('answers unknown paths with Google’s HTML 404', async () => {
      const answer = await client.send('/v1/projects/x/messages:sendAll', { body: '{}' });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
    });

    it('serves the inspection API: messages by token, behaviours and faults', async () => {
      const json = { 'content-type': 'application/json' };
      expect(
        (
          await client.send('/_emulator/behaviours', {
            headers: json,
            body: { token: 'tok-9', behaviour: 'unregistered' },
          })
        ).status,
      ).toBe(201);
      expect((await send(call('tok-9'))).status).toBe(404);
      expect(
        (
          await client.send('/_emulator/faults', {
            headers: json,
            body: { token: 'tok-8', errorCode: 'INTERNAL', count: 1 },
          })
        ).status,
      ).toBe(201);
      expect((await send(call('tok-8'))).status).toBe(500);
      const bad = await client.send('/_emulator/faults', {
        headers: json,
        body: { token: 'tok-8', errorCode: 'NOPE' },
      });
      expect(bad.json.error).toMatchObject({ field: 'errorCode' });
      await send(call('tok-8'));
      await send(call('tok-7'));
      const listed = await client.send('/_emulator/messages?token=tok-8', { method: 'GET' });
      expect(listed.json.messages).toEqual([expect.objectContaining({ token: 'tok-8', payload: call('tok-8') })]);
      expect((await client.send('/_emulator/messages', { method: 'DELETE' })).status).toBe(204);
      expect(fcm.messages.list()).toEqual([]);
    });
  },
);
