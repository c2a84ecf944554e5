import { describe, expect, it } from 'vitest';
import { parseDeclarative } from '../src/webpush/declarative.js';

const valid = {
  web_push: 8030,
  notification: { title: 'Alice', body: 'Incoming call', navigate: 'https://app.example/c/1', tag: 'c1' },
};
const withNotification = (fields: Record<string, unknown>) => ({
  ...valid,
  notification: { ...valid.notification, ...fields },
});

describe('the declarative push message parser, as Safari runs it on a decrypted payload', () => {
  it('shows the notification of a valid message: title, body, tag, sound unless silent', () => {
    expect(parseDeclarative(valid)).toEqual({
      notification: { title: 'Alice', body: 'Incoming call', tag: 'c1', sound: true },
    });
    expect(parseDeclarative({ ...withNotification({ silent: true }), mutable: true, app_badge: 3 })).toEqual({
      notification: { title: 'Alice', body: 'Incoming call', tag: 'c1', sound: false },
    });
  });

  it('leaves any other payload to the service worker: no web_push 8030, no declarative message', () => {
    for (const payload of [{ v: 1, type: 'call.ring' }, 'text', null, [1], { ...valid, web_push: '8030' }]) {
      expect(parseDeclarative(payload)).toBeUndefined();
    }
  });

  it.each([
    [{ ...valid, notification: 'Alice' }, 'notification must be an object'],
    [withNotification({ title: undefined }), 'notification.title must be a string'],
    [withNotification({ navigate: undefined }), 'notification.navigate must be an absolute http(s) URL'],
    [withNotification({ navigate: '/c/1' }), 'notification.navigate must be an absolute http(s) URL'],
    [withNotification({ navigate: 'javascript:alert(1)' }), 'notification.navigate must be an absolute http(s) URL'],
    [withNotification({ dir: 'up' }), 'notification.dir must be auto, ltr or rtl'],
    [withNotification({ requireInteraction: 'yes' }), 'notification.requireInteraction must be a boolean'],
    [withNotification({ vibrate: [100, -1] }), 'notification.vibrate must be a list of non-negative integers'],
    [
      withNotification({ actions: [{ action: 'a', title: 'A' }] }),
      'notification.actions must be a list of {action, title, navigate}',
    ],
    [withNotification({ renotify: true, tag: '' }), 'notification.renotify needs a tag'],
    [withNotification({ silent: true, vibrate: [100] }), 'a silent notification cannot vibrate'],
    [{ ...valid, mutable: 1 }, 'mutable must be a boolean'],
    [{ ...valid, app_badge: -1 }, 'app_badge must be a non-negative integer'],
  ])('refuses %j: %s', (payload, error) => {
    expect(parseDeclarative(payload)).toEqual({ error });
  });
});
