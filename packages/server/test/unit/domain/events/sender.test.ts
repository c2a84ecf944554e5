import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newSigningSecret } from '../../../../src/domain/events/endpoint.js';
import { WebhookSender } from '../../../../src/domain/events/sender.js';
import { eventBody } from '../../../../src/domain/events/signature.js';
import { EndpointRefused } from '../../../../src/infra/net/endpoint-policy.js';
import type { HttpResponse } from '../../../../src/infra/net/http-client.js';
import { retryAfterMs } from '../../../../src/providers/kit/retry-after.js';

const URL_ = 'https://hooks.example.com/callpush';
const message = { id: 'evt_1', body: eventBody('call.ended', Date.now(), { callId: 'c_1' }) };

interface Sent {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** A sender whose requests are answered by `answer` (or fail with what it throws). */
function senderAnswering(answer: () => HttpResponse | Promise<HttpResponse>) {
  const sent: Sent[] = [];
  const sender = new WebhookSender({
    retryAfter: retryAfterMs,
    http: {
      post: async (url, headers, body) => {
        sent.push({ url, headers, body: String(body) });
        return answer();
      },
    },
  });
  return { sender, sent };
}

const answer = (status: number, headers: HttpResponse['headers'] = {}, body = '') => ({ status, headers, body });

describe('sending one event', () => {
  it('POSTs the exact body as JSON, signed so the official library verifies it', async () => {
    const secret = newSigningSecret();
    const { sender, sent } = senderAnswering(() => answer(204));
    const result = await sender.send(URL_, [secret], message);
    expect(result).toMatchObject({ outcome: 'delivered', status: 204, error: undefined });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url.href).toBe(URL_);
    expect(sent[0]!.headers['content-type']).toBe('application/json');
    expect(sent[0]!.body).toBe(message.body);
    expect(new Webhook(secret).verify(sent[0]!.body, sent[0]!.headers)).toMatchObject({ type: 'call.ended' });
  });

  it('410 says the endpoint is gone; other answers are tried again, with a code of ours', async () => {
    const cases: Array<[number, string, string | undefined]> = [
      [200, 'delivered', undefined],
      [299, 'delivered', undefined],
      [410, 'gone', 'gone'],
      [302, 'retry', 'redirect_not_followed'],
      [400, 'retry', 'client_error'],
      [404, 'retry', 'client_error'],
      [429, 'retry', 'rate_limited'],
      [500, 'retry', 'server_error'],
      [503, 'retry', 'server_error'],
      [100, 'retry', 'unexpected_status'],
    ];
    for (const [status, outcome, error] of cases) {
      const { sender } = senderAnswering(() => answer(status));
      expect(await sender.send(URL_, [newSigningSecret()], message)).toMatchObject({ outcome, status, error });
    }
  });

  it("reads the endpoint's Retry-After, in seconds or as a date", async () => {
    const seconds = senderAnswering(() => answer(503, { 'retry-after': '7' }));
    expect((await seconds.sender.send(URL_, [newSigningSecret()], message)).retryAfterMs).toBe(7000);
    const date = new Date(Date.now() + 60_000).toUTCString();
    const dated = senderAnswering(() => answer(429, { 'retry-after': date }));
    const after = (await dated.sender.send(URL_, [newSigningSecret()], message)).retryAfterMs!;
    expect(after).toBeGreaterThan(55_000);
    expect(after).toBeLessThanOrEqual(60_000);
    const junk = senderAnswering(() => answer(503, { 'retry-after': 'soon' }));
    expect((await junk.sender.send(URL_, [newSigningSecret()], message)).retryAfterMs).toBeUndefined();
  });

  it("never carries the answer's body or headers into the attempt", async () => {
    const { sender } = senderAnswering(() =>
      answer(500, { 'x-debug': 'internal-host-10.0.0.7' }, '<html>stack trace: db password hunter2</html>'),
    );
    const result = await sender.send(URL_, [newSigningSecret()], message);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|stack|10\.0\.0\.7/);
  });

  it('a failure without an answer is tried again, named by the error code or the policy', async () => {
    const failing = (err: Error) => senderAnswering(() => Promise.reject(err)).sender;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(await failing(refused).send(URL_, [newSigningSecret()], message)).toMatchObject({
      outcome: 'retry',
      status: undefined,
      error: 'network_econnrefused',
    });
    const policy = new EndpointRefused('the endpoint resolves to a non-public address');
    expect((await failing(policy).send(URL_, [newSigningSecret()], message)).error).toBe('endpoint_not_allowed');
    // A code that is not one of Node's fixed words is not repeated.
    const odd = Object.assign(new Error('x'), { code: 'see http://internal/' });
    expect((await failing(odd).send(URL_, [newSigningSecret()], message)).error).toBe('network_error');
  });
});
