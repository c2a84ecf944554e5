import { describe, expect, it } from 'vitest';
import { hmsSendBody, hmsV3PushType, hmsV3SendBody } from '../../../../src/providers/hms/message.js';
import { aCancelRequest, aRingRequest } from '../../fixtures.js';
import { missedOf, NOTICE } from '../requests.js';

describe('hmsSendBody (docs/providers.md#hms-send)', () => {
  it('a batch of tokens, sent for real (validate_only false)', () => {
    const body = JSON.parse(hmsSendBody(['t1', 't2'], aRingRequest(), 27));
    expect(body.validate_only).toBe(false);
    expect(body.message.token).toEqual(['t1', 't2']);
  });

  it('data is a string: the v1 message as JSON text under `callpush`, itself as JSON text', () => {
    const request = aCancelRequest();
    const body = JSON.parse(hmsSendBody(['t'], request, 27));
    expect(typeof body.message.data).toBe('string');
    expect(JSON.parse(JSON.parse(body.message.data).callpush)).toEqual(request.message);
  });

  it("another SDK's data map goes as the JSON text of that map", () => {
    const data = { event: 'on_call_incoming', message: '{"room_id":"r1"}' };
    const body = JSON.parse(hmsSendBody(['t'], aRingRequest({ data }), 5));
    expect(JSON.parse(body.message.data)).toEqual(data);
  });

  it('high urgency VOIP data message, TTL in seconds, collapse key -1 so no call replaces another', () => {
    const body = JSON.parse(hmsSendBody(['t'], aRingRequest({ collapseId: 'c_1' }), 27));
    expect(body.message.android).toEqual({ urgency: 'HIGH', category: 'VOIP', ttl: '27s', collapse_key: -1 });
    expect(JSON.parse(hmsSendBody(['t'], aRingRequest(), 0)).message.android.ttl).toBe('0s');
  });

  it('a ring carries no notification, whatever its text: the app shows the call', () => {
    const body = JSON.parse(
      hmsSendBody(['t'], aRingRequest({ notification: { ...NOTICE, visibleOnData: false } }), 27),
    );
    expect(body.message.android).not.toHaveProperty('notification');
    expect(body.message).not.toHaveProperty('notification');
  });

  it('a missed notice goes NORMAL without the VOIP category, shown with a tag and a click action opening the app', () => {
    const missed = missedOf(aRingRequest({ collapseId: 'c_1' }));
    const body = JSON.parse(hmsSendBody(['t'], missed, 21_600));
    expect(body.message.android).toEqual({
      urgency: 'NORMAL',
      ttl: '21600s',
      collapse_key: -1,
      notification: { title: 'Alice', body: 'Verpasster Anruf', tag: 'c_1', click_action: { type: 3 } },
    });
    expect(JSON.parse(JSON.parse(body.message.data).callpush)).toEqual(missed.message);
  });

  it('a notice not to be shown stays a data message', () => {
    const missed = missedOf(aRingRequest(), { ...NOTICE, visibleOnData: false });
    const body = JSON.parse(hmsSendBody(['t'], missed, 60));
    expect(body.message.android).toEqual({ urgency: 'NORMAL', ttl: '60s', collapse_key: -1 });
  });
});

describe('hmsV3SendBody (docs/providers.md#hms-v3)', () => {
  it('rings as push-type 10; cancels and missed notices are background messages (6)', () => {
    expect(hmsV3PushType(aRingRequest())).toBe(10);
    expect(hmsV3PushType(aCancelRequest())).toBe(6);
    expect(hmsV3PushType(missedOf(aRingRequest()))).toBe(6);
  });

  it('carries the same app data as v1 in extraData, the tokens as target, the TTL as whole seconds', () => {
    const request = aRingRequest({ data: { kaleyra: 'payload' } });
    const body = JSON.parse(hmsV3SendBody(['t1', 't2'], request, 27));
    expect(body).toEqual({
      payload: { extraData: JSON.parse(hmsSendBody(['t1'], request, 27)).message.data },
      target: { token: ['t1', 't2'] },
      pushOptions: { ttl: 27 },
    });
    expect(JSON.parse(body.payload.extraData)).toEqual({ kaleyra: 'payload' });
  });
});
