import { describe, expect, it } from 'vitest';
import type { Notice, NoticeDevice } from '../../../../src/domain/notices/index.js';
import { NoticeSender, type NoticeSenderDeps } from '../../../../src/domain/notices/index.js';
import { EndpointRefused } from '../../../../src/infra/net/endpoint-policy.js';
import type { ProviderClient, PushOutcome, PushRequest, PushTarget } from '../../../../src/providers/contract.js';
import { T0 } from '../../fixtures.js';

const device = (userId: string, deviceId: string, providerType: string, kind: 'voip' | 'alert' = 'alert') => ({
  userId,
  deviceId,
  provider: `${providerType}-cred`,
  providerType,
  token: `${userId}-${deviceId}-token`,
  kind,
});

const DEVICES: NoticeDevice[] = [
  device('bob', 'pixel', 'fcm'),
  device('bob', 'tablet', 'fcm'),
  device('bob', 'mate', 'hms'),
  device('bob', 'iphone', 'apns', 'voip'),
  device('bob', 'iphone-alert', 'apns'),
  device('bob', 'browser', 'webpush'),
  device('carol', 'pixel', 'fcm'),
];

interface Sent {
  credential: string;
  targets: PushTarget[];
  request: PushRequest;
}

/** A notice sender over fake devices and clients; `answer` decides each request's outcomes. */
function aSender(
  options: {
    answer?: (sent: Sent, n: number) => PushOutcome[];
    admit?: boolean;
    devices?: NoticeDevice[];
    retryMs?: number;
  } = {},
) {
  const sent: Sent[] = [];
  const counted: Array<Record<string, string>> = [];
  const logged: string[] = [];
  const clientOf = (credential: string): ProviderClient => ({
    send: async (targets, request) => {
      const s = { credential, targets, request };
      sent.push(s);
      return options.answer?.(s, sent.length) ?? targets.map(() => ({ kind: 'sent' }));
    },
    close: async () => undefined,
  });
  const deps: NoticeSenderDeps = {
    devices: { devicesOf: async (_app, userId) => (options.devices ?? DEVICES).filter((d) => d.userId === userId) },
    clients: {
      get: async (_app, name) => (name === 'gone-cred' ? undefined : clientOf(name)),
      admit: () => (options.admit === false ? undefined : () => undefined),
    },
    outcomes: { inc: (labels) => void counted.push(labels as Record<string, string>) },
    log: {
      warn: (_o: unknown, msg: string) => void logged.push(msg),
      error: () => undefined,
    },
    now: () => T0,
    random: () => 1,
  };
  const retryMs = options.retryMs ?? 1;
  const sender = new NoticeSender(deps, { attempts: 3, firstRetryMs: retryMs, maxWaitMs: 2 * retryMs + 1000 });
  return { sender, sent, counted, logged };
}

const aNotice = (overrides: Partial<Notice> = {}): Notice => ({
  appKey: 'app1',
  to: ['bob'],
  type: 'chat',
  collapseId: 'km_1',
  deadline: T0 + 6 * 3600_000,
  dataFor: async (userId) => ({ event: 'on_message_sent', for: userId }),
  ...overrides,
});

const kinds = (results: Array<{ deviceId: string; outcome: PushOutcome }>) =>
  Object.fromEntries(results.map((r) => [r.deviceId, r.outcome.kind]));

describe('NoticeSender', () => {
  it('sends the data at normal priority to the FCM and HMS devices, one request per credential and recipient', async () => {
    const { sender, sent } = aSender();
    const results = await sender.send(aNotice({ to: ['bob', 'carol'] }));
    expect(sent.map((s) => [s.credential, s.targets.map((t) => t.deviceId)])).toEqual(
      expect.arrayContaining([
        ['fcm-cred', ['pixel', 'tablet']],
        ['hms-cred', ['mate']],
        ['fcm-cred', ['pixel']],
      ]),
    );
    expect(sent).toHaveLength(3);
    const carol = sent.find((s) => s.targets[0]!.token === 'carol-pixel-token')!;
    expect(carol.request).toMatchObject({
      data: { event: 'on_message_sent', for: 'carol' },
      priority: 'normal',
      collapseId: 'km_1',
      deadline: T0 + 6 * 3600_000,
    });
    expect(kinds(results.filter((r) => r.userId === 'bob'))).toEqual({
      pixel: 'sent',
      tablet: 'sent',
      mate: 'sent',
      iphone: 'skipped',
      'iphone-alert': 'skipped',
      browser: 'skipped',
    });
  });

  it('never pushes to an APNs or Web Push registration, a VoIP one least of all', async () => {
    const { sender, sent } = aSender();
    await sender.send(aNotice());
    const tokens = sent.flatMap((s) => s.targets.map((t) => t.token));
    expect(tokens.some((t) => t.includes('iphone') || t.includes('browser'))).toBe(false);
  });

  it('counts every device and attempt in the delivery metrics, under the notice type', async () => {
    const retry: PushOutcome = { kind: 'retry', reason: '503' };
    const { sender, counted } = aSender({
      answer: (s, n) => s.targets.map(() => (n <= 2 && s.credential === 'hms-cred' ? retry : { kind: 'sent' })),
    });
    await sender.send(aNotice());
    const hms = counted.filter((c) => c.provider === 'hms');
    expect(hms).toEqual([
      { provider: 'hms', type: 'chat', outcome: 'retry' },
      { provider: 'hms', type: 'chat', outcome: 'sent' },
    ]);
    expect(counted.filter((c) => c.provider === 'apns')).toEqual([
      { provider: 'apns', type: 'chat', outcome: 'skipped' },
      { provider: 'apns', type: 'chat', outcome: 'skipped' },
    ]);
  });

  it('retries only the devices that may succeed later, a bounded number of times', async () => {
    const { sender, sent } = aSender({
      answer: (s) =>
        s.targets.map((t) => (t.deviceId === 'tablet' ? { kind: 'retry', reason: '503' } : { kind: 'sent' })),
    });
    const results = await sender.send(aNotice());
    const tablet = sent.filter((s) => s.targets.some((t) => t.deviceId === 'tablet'));
    expect(tablet).toHaveLength(3);
    expect(tablet.slice(1).map((s) => s.targets.map((t) => t.deviceId))).toEqual([['tablet'], ['tablet']]);
    expect(kinds(results)).toMatchObject({ pixel: 'sent', tablet: 'retry', mate: 'sent' });
  });

  it('does not retry when the wait would reach the deadline, or is longer than it may hold', async () => {
    const retryAll = (s: Sent) => s.targets.map((): PushOutcome => ({ kind: 'retry', reason: '503' }));
    const late = aSender({ answer: retryAll });
    await late.sender.send(aNotice({ deadline: T0 + 1 }));
    expect(late.sent).toHaveLength(2);
    const asked = aSender({
      answer: (s) => s.targets.map(() => ({ kind: 'retry', reason: '429', retryAfterMs: 5000 })),
    });
    await asked.sender.send(aNotice());
    expect(asked.sent).toHaveLength(2);
  });

  it('retries a payload that could not be built, and not one the endpoint policy refuses', async () => {
    let calls = 0;
    const flaky = aSender();
    const results = await flaky.sender.send(
      aNotice({
        dataFor: async () => {
          calls += 1;
          if (calls === 1) throw new Error('Kaleyra credentials endpoint answered 503');
          return { event: 'on_message_sent' };
        },
      }),
    );
    expect(kinds(results)).toMatchObject({ pixel: 'sent', mate: 'sent' });
    const refused = aSender();
    const never = await refused.sender.send(
      aNotice({ dataFor: async () => Promise.reject(new EndpointRefused('credentials.baseUrl is a private address')) }),
    );
    expect(kinds(never)).toMatchObject({ pixel: 'config_error', mate: 'config_error' });
    expect(refused.sent).toHaveLength(0);
  });

  it('keeps a device whose token the provider calls dead: one answer is no proof', async () => {
    const { sender, sent } = aSender({ answer: (s) => s.targets.map(() => ({ kind: 'token_gone', reason: '404' })) });
    const results = await sender.send(aNotice());
    expect(kinds(results)).toMatchObject({ pixel: 'token_gone', mate: 'token_gone' });
    // Not retried either: the answer will not change.
    expect(sent).toHaveLength(2);
  });

  it('treats a full credential as a retry, and a deleted one as an error for the operator', async () => {
    const shed = aSender({ admit: false });
    const results = await shed.sender.send(aNotice());
    expect(kinds(results)).toMatchObject({ pixel: 'retry', mate: 'retry' });
    expect(shed.sent).toHaveLength(0);
    const gone = aSender({ devices: [{ ...device('dave', 'pixel', 'fcm'), provider: 'gone-cred' }] });
    const lost = await gone.sender.send(aNotice({ to: ['dave'] }));
    expect(kinds(lost)).toEqual({ pixel: 'config_error' });
    expect(gone.logged).toEqual(['chat notice not sent: the credential or the payload was refused']);
  });

  it('stops waiting retries when closed', async () => {
    const { sender, sent } = aSender({
      answer: (s) => s.targets.map(() => ({ kind: 'retry', reason: '503' })),
      retryMs: 60_000,
    });
    const pending = sender.send(aNotice());
    await new Promise((r) => setTimeout(r, 10));
    sender.close();
    expect(kinds(await pending)).toMatchObject({ pixel: 'retry', mate: 'retry' });
    expect(sent).toHaveLength(2);
  });

  it('resolves with nothing, logged, when the devices cannot be read', async () => {
    const errors: string[] = [];
    const broken = new NoticeSender({
      devices: { devicesOf: async () => Promise.reject(new Error('store away')) },
      clients: { get: async () => undefined, admit: () => undefined },
      outcomes: { inc: () => undefined },
      log: { warn: () => undefined, error: (_o: unknown, m: string) => void errors.push(m) },
    });
    expect(await broken.send(aNotice())).toEqual([]);
    expect(errors).toEqual(['notice not sent: its devices could not be read']);
  });
});
