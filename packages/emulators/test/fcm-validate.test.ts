import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FcmEmulator, MAX_PAYLOAD_BYTES, startFcmEmulator } from '../src/fcm/index.js';
import { Http2Connection, type RawAnswer } from './support/raw-http.js';

/** FCM's request validation: Google's proto-JSON parser rules, then FCM's own message rules. */

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

let fcm: FcmEmulator;
let connection: Http2Connection;
let authorization: string;

beforeAll(async () => {
  fcm = await startFcmEmulator({ transport: 'h2c' });
  connection = new Http2Connection(fcm.baseUrl);
  authorization = `Bearer ${fcm.issueAccessToken().access_token}`;
});

afterAll(async () => {
  await connection.close();
  await fcm.close();
});

function post(body: unknown): Promise<RawAnswer> {
  return connection.request(`/v1/projects/${fcm.projectId}/messages:send`, {
    headers: { authorization, 'content-type': 'application/json' },
    body,
  });
}

const send = (message: object) => post({ message });

/** A 400 INVALID_ARGUMENT whose BadRequest names `field`; `fcmDetail` says whether an FcmError comes too. */
function expectBadRequest(answer: RawAnswer, field: string, description: string | RegExp, fcmDetail: boolean): void {
  expect(answer.status).toBe(400);
  const error = answer.json.error;
  expect(error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  const violation = error.details.find((d: { '@type': string }) => d['@type'] === BAD_REQUEST)?.fieldViolations[0];
  expect(violation.field ?? '').toBe(field);
  expect(violation.description).toMatch(description);
  expect(error.message).toBe(violation.description);
  expect(error.details.some((d: { '@type': string }) => d['@type'] === FCM_ERROR)).toBe(fcmDetail);
}

describe('targets', () => {
  it('needs a recipient', async () => {
    expectBadRequest(await send({ data: { a: 'b' } }), 'message', 'Recipient of the message is not set.', true);
    expectBadRequest(await send({ token: '' }), 'message', 'Recipient of the message is not set.', true);
  });

  it('takes exactly one of token, topic and condition', async () => {
    const answer = await send({ token: 't', topic: 'news' });
    expectBadRequest(answer, 'message', "oneof field 'target' is already set. Cannot set 'topic'", false);
  });

  it('refuses a malformed token with the FcmError detail a client may prune on', async () => {
    const answer = await send({ token: 'not a token' });
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toBe('The registration token is not a valid FCM registration token');
    expect(answer.json.error.details).toContainEqual({ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' });
  });

  it('accepts topics (without the /topics/ prefix) and conditions, recorded under their target', async () => {
    expect((await send({ topic: 'calls.eu' })).status).toBe(200);
    expectBadRequest(await send({ topic: '/topics/calls' }), 'message.topic', /Invalid topic name/, true);
    expect((await send({ condition: "'a' in topics && 'b' in topics" })).status).toBe(200);
    expect(fcm.messages.list({ token: '/topics/calls.eu' })).toHaveLength(1);
  });
});

describe('data', () => {
  it('takes string values only, naming the entry like Google does', async () => {
    const answer = await send({ token: 't', data: { call_id: 'c-1', sent_at: 12 } });
    expectBadRequest(
      answer,
      'message.data[1].value',
      "Invalid value at 'message.data[1].value' (TYPE_STRING), 12",
      false,
    );
    const nested = await send({ token: 't', data: { call: { id: 1 } } });
    expectBadRequest(nested, 'message.data[0].value', /Starting an object on a scalar field/, false);
  });

  it.each(['from', 'message_type', 'google.sent_time', 'gcm.notification.title'])(
    'refuses the reserved key %s',
    async (key) => {
      const answer = await send({ token: 't', data: { [key]: 'x' } });
      expectBadRequest(answer, 'message.data', `Invalid data payload key: ${key}`, true);
    },
  );

  it('checks android.data, apns.headers and webpush.headers the same way', async () => {
    expectBadRequest(
      await send({ token: 't', android: { data: { from: 'x' } } }),
      'message.android.data',
      /from/,
      true,
    );
    const apns = await send({ token: 't', apns: { headers: { 'apns-priority': 10 } } });
    expectBadRequest(apns, 'message.apns.headers[0].value', /TYPE_STRING/, false);
    const webpush = await send({ token: 't', webpush: { headers: { TTL: 30 } } });
    expectBadRequest(webpush, 'message.webpush.headers[0].value', /TYPE_STRING/, false);
  });
});

describe('android', () => {
  it.each(['0s', '30s', '3.5s', '3.000000001s', '2419200s'])('accepts ttl %s', async (ttl) => {
    expect((await send({ token: 't', android: { ttl } })).status).toBe(200);
  });

  it.each(['30', '1m', '3.0000000001s', 30])('refuses the malformed ttl %s', async (ttl) => {
    expectBadRequest(
      await send({ token: 't', android: { ttl } }),
      'message.android.ttl',
      /google.protobuf.Duration/,
      false,
    );
  });

  it.each(['2419201s', '-1s'])('refuses the out-of-range ttl %s', async (ttl) => {
    expectBadRequest(await send({ token: 't', android: { ttl } }), 'message.android.ttl', /TTL must be between/, true);
  });

  it.each(['HIGH', 'NORMAL', 'high', 'normal', 1])('accepts priority %s', async (priority) => {
    expect((await send({ token: 't', android: { priority } })).status).toBe(200);
  });

  it('refuses an unknown priority', async () => {
    const answer = await send({ token: 't', android: { priority: 'URGENT' } });
    expectBadRequest(answer, 'message.android.priority', /AndroidMessagePriority\), "URGENT"/, false);
  });
});

describe('android.notification', () => {
  const notification = { title: 'Alice', body: 'Missed call', tag: 'c_42' };

  it('is taken next to the data, at NORMAL priority, with its localization keys', async () => {
    const android = {
      priority: 'NORMAL',
      notification: { ...notification, body_loc_key: 'missed', body_loc_args: ['Alice'], visibility: 'PRIVATE' },
    };
    expect((await send({ token: 't', data: { callpush: '{}' }, android })).status).toBe(200);
  });

  it('refuses an unknown field, naming it', async () => {
    const answer = await send({ token: 't', android: { notification: { ...notification, titel: 'x' } } });
    expectBadRequest(answer, 'message.android.notification', /Unknown name "titel"/, false);
  });

  it.each([
    ['a tag that is not a string', { tag: 42 }, 'message.android.notification.tag', /TYPE_STRING/],
    [
      'loc args that are not a list',
      { body_loc_args: 'Alice' },
      'message.android.notification.body_loc_args',
      /TYPE_STRING/,
    ],
    [
      'loc args that are not strings',
      { body_loc_args: [1] },
      'message.android.notification.body_loc_args[0]',
      /TYPE_STRING/,
    ],
    [
      'an unknown visibility',
      { visibility: 'LOUD' },
      'message.android.notification.visibility',
      /Visibility\), "LOUD"/,
    ],
    [
      'a count that is not an integer',
      { notification_count: 1.5 },
      'message.android.notification.notification_count',
      /TYPE_INT32/,
    ],
  ])('refuses %s', async (_name, fields, field, description) => {
    const answer = await send({ token: 't', android: { notification: { ...notification, ...fields } } });
    expectBadRequest(answer, field, description, false);
  });

  it('counts against the payload limit with the data', async () => {
    const data = { blob: 'x'.repeat(MAX_PAYLOAD_BYTES - 'blob'.length) };
    expect((await send({ token: 't', data })).status).toBe(200);
    const answer = await send({ token: 't', data, android: { notification } });
    expectBadRequest(answer, 'message', 'Android message is too big', true);
  });
});

describe('size', () => {
  /** A data map whose keys plus values weigh exactly `bytes`. */
  const dataOf = (bytes: number) => ({ blob: 'x'.repeat(bytes - 'blob'.length) });

  it(`allows ${MAX_PAYLOAD_BYTES} bytes of keys plus values and refuses one more`, async () => {
    expect((await send({ token: 't', data: dataOf(MAX_PAYLOAD_BYTES) })).status).toBe(200);
    expectBadRequest(
      await send({ token: 't', data: dataOf(MAX_PAYLOAD_BYTES + 1) }),
      'message',
      'Android message is too big',
      true,
    );
  });

  it('allows topic messages half as much', async () => {
    expectBadRequest(await send({ topic: 'news', data: dataOf(2049) }), 'message', 'Android message is too big', true);
  });
});

describe('proto-JSON parsing', () => {
  it('accepts lowerCamelCase and snake_case field names alike', async () => {
    const camel = {
      validateOnly: true,
      message: { token: 't', android: { collapseKey: 'c', directBootOk: true, restrictedPackageName: 'com.example' } },
    };
    expect((await post(camel)).json.name).toMatch(/fake_message_id$/);
    const snake = {
      validate_only: true,
      message: { token: 't', android: { collapse_key: 'c', direct_boot_ok: true } },
    };
    expect((await post(snake)).json.name).toMatch(/fake_message_id$/);
  });

  it('treats null as not set', async () => {
    expect((await send({ token: 't', topic: null, android: { ttl: null } })).status).toBe(200);
  });

  it('refuses unknown field names', async () => {
    const answer = await send({ toen: 't' });
    expectBadRequest(
      answer,
      'message',
      `Invalid JSON payload received. Unknown name "toen" at 'message': Cannot find field.`,
      false,
    );
    expectBadRequest(
      await post({ message: { token: 't' }, dry_run: true }),
      '',
      /Unknown name "dry_run": Cannot find field/,
      false,
    );
  });

  it('refuses wrong types and bodies that are not JSON', async () => {
    expectBadRequest(
      await send({ token: 't', android: { direct_boot_ok: 'yes' } }),
      'message.android.direct_boot_ok',
      /TYPE_BOOL/,
      false,
    );
    expectBadRequest(await send({ token: 't', android: 'fast' }), 'message.android', /AndroidConfig/, false);
    expectBadRequest(await post('{"message":'), '', /Invalid JSON payload received/, false);
  });
});

describe('what the device gets (the inspection API)', () => {
  const deviceOf = (token: string) => fcm.messages.list({ token })[0]?.device;

  it('a data message: its priority and collapse key, nothing shown by Android itself', async () => {
    await send({ token: 'view-data', data: { k: 'v' }, android: { priority: 'high', collapseKey: 'c_1' } });
    expect(deviceOf('view-data')).toEqual({ priority: 'high', collapseKey: 'c_1' });
    await send({ token: 'view-default', data: { k: 'v' } });
    expect(deviceOf('view-default')).toEqual({ priority: 'normal' });
  });

  it('a notification: android.notification over message.notification, field by field', async () => {
    const message = {
      token: 'view-shown',
      notification: { title: 'Generic', body: 'Missed call' },
      android: { priority: 'NORMAL', notification: { title: 'Alice', tag: 'c_2', default_sound: true } },
    };
    await send(message);
    expect(deviceOf('view-shown')).toEqual({
      priority: 'normal',
      notification: { title: 'Alice', body: 'Missed call', tag: 'c_2', sound: true },
    });
  });

  it('a notification without a priority goes HIGH', async () => {
    await send({ token: 'view-high', notification: { title: 'Alice' } });
    expect(deviceOf('view-high')).toEqual({ priority: 'high', notification: { title: 'Alice', sound: false } });
  });
});
