import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, servePage } from './support/browser.js';
import { fcmData, type Stack, startStack, typeOf } from './support/stack.js';

const executable = chromiumPath();
if (!executable && process.env.CALLPUSH_REQUIRE_SERVICES === '1') {
  throw new Error('chromium is required (CALLPUSH_REQUIRE_SERVICES=1) but was not found; set CHROMIUM_PATH');
}

/**
 * A real browser: a page built from the client library rings over the active connection, shows the call and
 * answers it; the user's other devices — another tab and an Android phone reached by FCM — get the cancel.
 */
describe.skipIf(!executable)('the client library in chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof servePage>>;

  beforeAll(async () => {
    stack = await startStack();
    site = await servePage((userId) => stack.userToken(userId));
    browser = await launchChromium(executable!);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await stack?.close();
  });

  async function open(deviceId: string): Promise<Page> {
    const page = await browser.newPage();
    const query = new URLSearchParams({ gateway: stack.baseUrl, user: 'bob', device: deviceId });
    await page.goto(`${site.url}/?${query}`);
    await page.locator('#connection', { hasText: 'connected' }).waitFor({ timeout: 10_000 });
    return page;
  }

  it('rings over the active connection, answers, and the other devices get the cancel', async () => {
    const phoneToken = 'bob-android-fcm-token';
    const bobToken = await stack.userToken('bob');
    const registered = await fetch(`${stack.baseUrl}/v1/me/devices/android`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'fcm', token: phoneToken, kind: 'alert' }),
    });
    expect(registered.status).toBeLessThan(300);
    const laptop = await open('laptop-tab');
    const desktop = await open('desktop-tab');

    const placed = await stack.asApp('POST', '/v1/calls', {
      from: 'alice',
      to: ['bob'],
      video: true,
      displayName: 'Alice',
    });
    expect(placed.status).toBe(201);
    const callId = placed.body.callId as string;

    for (const page of [laptop, desktop]) {
      await page.locator('#caller', { hasText: 'Alice is calling (video)' }).waitFor({ timeout: 5000 });
    }
    await laptop.click('#answer');
    await laptop.locator('#state', { hasText: 'answered' }).waitFor({ timeout: 5000 });
    await desktop.locator('#state', { hasText: 'cancelled: answered_elsewhere' }).waitFor({ timeout: 5000 });

    const state = await stack.asApp('GET', `/v1/calls/${callId}`);
    expect(state.body).toMatchObject({ state: 'answered', answeredBy: { userId: 'bob', deviceId: 'laptop-tab' } });
    const tabs = state.body.deliveries.filter((d: { type: string; deviceId: string }) => d.type === 'ring');
    expect(
      Object.fromEntries(
        tabs.map((d: { deviceId: string; transport: string; state: string }) => [d.deviceId, [d.transport, d.state]]),
      ),
    ).toEqual({
      'laptop-tab': ['connection', 'received'],
      'desktop-tab': ['connection', 'received'],
      android: ['push', 'sent'],
    });
    // The phone without a socket was rung by push at once and is told by push that the call was answered.
    await expect
      .poll(() => fcmData(stack, phoneToken).map(typeOf), { timeout: 5000 })
      .toEqual(['call.ring', 'call.cancel']);
    expect(await laptop.textContent('#error')).toBe('');
  });
});
