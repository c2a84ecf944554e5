import { describe, expect, it } from 'vitest';
import { hmsSendBody } from '../../../../src/providers/hms/message.js';
import { aCancelRequest, aRingRequest } from '../../fixtures.js';

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
});
