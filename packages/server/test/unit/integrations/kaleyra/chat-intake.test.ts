import { describe, expect, it } from 'vitest';
import type { Notice } from '../../../../src/domain/notices/index.js';
import type { KaleyraConfig } from '../../../../src/integrations/kaleyra/config.js';
import { KaleyraIntake, type KaleyraIntakeDeps } from '../../../../src/integrations/kaleyra/intake.js';
import { bandyerSignature } from '../../../../src/integrations/kaleyra/signature.js';
import { T0 } from '../../fixtures.js';

const SECRET = 'kaleyra-webhook-secret-0123456789';

const chatBody = JSON.stringify({
  event: 'on_message_sent',
  data: { channel_id: 'ch_1', sender: 'usr_123', participants: ['usr_123', 'usr_999', 'usr_555'] },
});

/** An intake on one app's configuration, with the events table in memory and the notices recorded. */
function anIntake(payloadFormat: KaleyraConfig['payloadFormat'] = 'kaleyra') {
  const events = new Map<string, string>();
  const notices: Notice[] = [];
  const placed: unknown[] = [];
  const deps: KaleyraIntakeDeps = {
    configs: { load: async () => ({ secret: SECRET, scheme: 'bandyer', payloadFormat }) },
    repo: {
      seenEvent: async (app, key) => (events.has(`${app}/${key}`) ? { callId: null } : undefined),
      // Like the table's primary key: the first insert wins, the others find it there.
      recordEvent: async (app, e) => {
        const key = `${app}/${e.eventKey}`;
        if (events.has(key)) return false;
        events.set(key, e.action);
        return true;
      },
      recordCall: async () => undefined,
    },
    calls: {
      place: async (...args) => {
        placed.push(args);
        throw new Error('a chat message places no call');
      },
      apply: async () => {
        throw new Error('a chat message changes no call');
      },
      latestOpenCallOf: async () => undefined,
    },
    notices: {
      send: async (notice) => {
        notices.push(notice);
        return [];
      },
    },
    payloads: { dataFor: async (_app, format, event, body, userId) => ({ format, event, body, userId }) },
    now: () => T0,
  };
  const deliver = (raw: string, t = Math.floor(T0 / 1000)) =>
    new KaleyraIntake(deps).intake('app1', Buffer.from(raw), {
      'bandyer-signature': `t=${t},v0=${bandyerSignature(SECRET, t, Buffer.from(raw))}`,
    });
  return { deliver, notices, events, placed };
}

describe('KaleyraIntake, on_message_sent', () => {
  it('notifies the other participants, in the app format, with the webhook as received', async () => {
    const intake = anIntake();
    expect(await intake.deliver(chatBody)).toEqual({ event: 'on_message_sent', action: 'notified' });
    expect(intake.notices).toHaveLength(1);
    const [notice] = intake.notices;
    expect(notice).toMatchObject({ appKey: 'app1', to: ['usr_999', 'usr_555'], type: 'chat' });
    expect(await notice!.dataFor('usr_999')).toEqual({
      format: 'kaleyra',
      event: 'on_message_sent',
      body: chatBody,
      userId: 'usr_999',
    });
    expect(intake.placed).toHaveLength(0);
  });

  it('sends nothing twice for a webhook delivered again, re-signed or at the same time', async () => {
    const intake = anIntake();
    const first = await Promise.all([intake.deliver(chatBody), intake.deliver(chatBody, Math.floor(T0 / 1000) - 5)]);
    const later = await intake.deliver(chatBody);
    expect([...first, later].map((r) => r.action).sort()).toEqual(['duplicate', 'duplicate', 'notified']);
    expect(intake.notices).toHaveLength(1);
  });

  it('tells each message apart: a new message is a new notice with its own collapse id', async () => {
    const intake = anIntake();
    await intake.deliver(chatBody);
    await intake.deliver(chatBody.replace('ch_1', 'ch_2'));
    expect(intake.notices.map((n) => n.collapseId)).toHaveLength(2);
    expect(new Set(intake.notices.map((n) => n.collapseId)).size).toBe(2);
  });

  it('only records the message for an app on the callpush format, which has no chat message', async () => {
    const intake = anIntake('callpush');
    expect(await intake.deliver(chatBody)).toEqual({ event: 'on_message_sent', action: 'ignored' });
    expect(await intake.deliver(chatBody)).toEqual({ event: 'on_message_sent', action: 'duplicate' });
    expect(intake.notices).toHaveLength(0);
  });

  it('refuses an unreadable chat body before recording it, so the platform retry is read again', async () => {
    const intake = anIntake();
    const raw = JSON.stringify({ event: 'on_message_sent', data: { channel_id: 'ch_1' } });
    await expect(intake.deliver(raw)).rejects.toMatchObject({ code: 'invalid_webhook', field: 'data.sender' });
    expect(intake.events.size).toBe(0);
    expect(intake.notices).toHaveLength(0);
  });
});
