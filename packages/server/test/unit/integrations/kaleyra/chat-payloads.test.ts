import { describe, expect, it } from 'vitest';
import { CHAT_TTL_MS, chatNotice } from '../../../../src/integrations/kaleyra/chat.js';
import {
  isKaleyraPushNotificationPayload,
  kaleyraData,
  kaleyraHybridData,
} from '../../../../src/integrations/kaleyra/payload-formats.js';

const body = JSON.stringify({
  event: 'on_message_sent',
  data: { channel_id: 'ch_1', sender: 'usr_123', participants: ['usr_123', 'usr_999'] },
});

describe('the data of a chat push', () => {
  // The Android SDK serialises everything it received and tests it for the event names (vendors' rule, §8.9).
  it('passes the Kaleyra SDK recognition test in both Kaleyra formats, as FCM and HMS carry it', () => {
    for (const data of [kaleyraData('on_message_sent', body), kaleyraHybridData(body, 'sdk-token')]) {
      expect(isKaleyraPushNotificationPayload(JSON.stringify(data))).toBe(true);
    }
    expect(isKaleyraPushNotificationPayload('>>>>>other_push_payload>>>>>')).toBe(false);
  });

  it('keeps the webhook where the manual receiver and the hybrid bridge look for it', () => {
    expect(kaleyraData('on_message_sent', body)).toEqual({ event: 'on_message_sent', message: body });
    const bridged = JSON.parse(kaleyraHybridData(body, 'sdk-token').message!);
    expect(bridged).toEqual({ kaleyra: { payload: JSON.parse(body), user_token: 'sdk-token' } });
  });
});

describe('chatNotice', () => {
  const dataFor = async () => ({});

  it('is worth delivering for hours, as a chat notice', () => {
    const notice = chatNotice('app1', 'sha256:aa', ['usr_999'], dataFor, 1_000);
    expect(notice).toMatchObject({ appKey: 'app1', to: ['usr_999'], type: 'chat', deadline: 1_000 + CHAT_TTL_MS });
    expect(CHAT_TTL_MS).toBe(6 * 3600_000);
  });

  it('has a collapse id of its own per message and app, short enough for every provider', () => {
    const ids = [
      chatNotice('app1', 'sha256:aa', [], dataFor, 0).collapseId,
      chatNotice('app1', 'sha256:bb', [], dataFor, 0).collapseId,
      chatNotice('app2', 'sha256:aa', [], dataFor, 0).collapseId,
    ];
    expect(new Set(ids).size).toBe(3);
    expect(chatNotice('app1', 'sha256:aa', [], dataFor, 5).collapseId).toBe(ids[0]);
    for (const id of ids) expect(id).toMatch(/^km_[A-Za-z0-9_-]{22}$/);
  });
});
