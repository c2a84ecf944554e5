import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type Gateway, resolveConfig, startGateway } from '@callpush/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../client/test/support/browser.js';
import { buildConsole } from '../src/build.js';

const executable = chromiumPath();
if (!executable && process.env.CALLPUSH_REQUIRE_SERVICES === '1') {
  throw new Error('chromium is required (CALLPUSH_REQUIRE_SERVICES=1) but was not found; set CHROMIUM_PATH');
}

/** What a page did that the console must never do: leave the origin, log an error, break its CSP. */
interface Watched {
  page: Page;
  offOrigin: string[];
  errors: string[];
  /** Every request path the page made, in order (to tell a stream from polling). */
  requests: string[];
}

/**
 * The built console in chromium, served by a sandbox gateway at /console: sign in with the sandbox app, test
 * ring bob's four emulated devices, watch them reach "sent", cancel.
 */
describe.skipIf(!executable)('the console in chromium', () => {
  let dataDir: string;
  let gateway: Gateway;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-console-test-'));
    // A build of its own, read by the gateway when it starts (this test runs in a process of its own).
    const consoleDir = path.join(dataDir, 'console');
    await buildConsole(consoleDir);
    const config = resolveConfig({
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        CALLPUSH_DATA_DIR: dataDir,
        CALLPUSH_SANDBOX: 'true',
        CALLPUSH_CONSOLE_DIR: consoleDir,
      },
    });
    gateway = await startGateway(config, { logStream: new PassThrough().resume() });
    origin = new URL(gateway.url).origin;
    browser = await launchChromium(executable!);
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(): Promise<Watched> {
    const page = await browser.newPage();
    const watched: Watched = { page, offOrigin: [], errors: [], requests: [] };
    page.on('request', (r) => {
      if (r.url().startsWith(`${origin}/`)) watched.requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
      if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('data:')) watched.offOrigin.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') watched.errors.push(m.text());
    });
    page.on('pageerror', (e) => watched.errors.push(e.message));
    await page.goto(`${origin}/console/`);
    return watched;
  }

  async function signIn(page: Page, appKey: string, appSecret: string): Promise<void> {
    await page.getByLabel('App key').fill(appKey);
    await page.getByLabel('App secret').fill(appSecret);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('is served with a strict CSP', async () => {
    const r = await fetch(`${origin}/console/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect((await fetch(`${origin}/console/nothing.js`)).status).toBe(404);
  });

  /** The sandbox phones' states, by device id. */
  const phoneStates = (page: Page) =>
    page
      .locator('.phone')
      .evaluateAll((els) =>
        Object.fromEntries(els.map((e) => [e.getAttribute('data-device'), e.getAttribute('data-state')])),
      );

  it('test rings bob: four devices reach sent, his phones light up, live without polling, then it is cancelled', async () => {
    const { page, offOrigin, errors, requests } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    // The first thing a new user sees: bob's four phones, dark.
    await page.getByRole('heading', { name: 'Sandbox phones' }).waitFor();
    expect(await phoneStates(page)).toEqual({ pixel: 'idle', huawei: 'idle', iphone: 'idle', browser: 'idle' });
    await page.getByRole('link', { name: 'Test ring' }).click();
    await page.getByLabel('User to ring').fill('bob');
    await page.getByRole('button', { name: 'Test ring' }).click();

    const rings = page.locator('.deliveries').first().locator('.delivery');
    await expect.poll(() => rings.count(), { timeout: 10_000 }).toBe(4);
    await expect
      .poll(() => rings.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), { timeout: 10_000 })
      .toEqual(['sent', 'sent', 'sent', 'sent']);
    // Every device's timeline shows its send; the diagnosis speaks of each device.
    expect(await page.locator('.funnel li.reached[data-milestone="sent"]').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('.diagnosis li').count()).toBe(4);
    // The phones lit as their emulators received the ring, with the caller.
    await expect
      .poll(() => phoneStates(page), { timeout: 5000 })
      .toEqual({ pixel: 'ringing', huawei: 'ringing', iphone: 'ringing', browser: 'ringing' });
    expect(await page.locator('.phone[data-device="huawei"] .phone-caller').textContent()).toContain(
      'callpush test ring',
    );
    await page.locator('#live').waitFor();

    // By keyboard: the focus stays on the button while the page refreshes around it.
    await page.getByRole('button', { name: 'Cancel the call' }).focus();
    await page.waitForTimeout(1500);
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel the call');
    await page.keyboard.press('Enter');
    await page.locator('#call-state', { hasText: 'cancelled' }).waitFor({ timeout: 5000 });
    // The phones clear: a cancel for three, and the VoIP phone (no cancel push) sees its call is over.
    await expect
      .poll(() => phoneStates(page), { timeout: 5000 })
      .toEqual({ pixel: 'cancelled', huawei: 'cancelled', iphone: 'ended', browser: 'cancelled' });
    // The updates came over one stream: the call itself was read when the page opened and once it settled.
    const callId = page.url().split('/').pop()!;
    expect(requests.filter((r) => r === `GET /v1/calls/${callId}`).length).toBeLessThanOrEqual(2);
    expect(requests.filter((r) => r === `GET /v1/calls/${callId}/events`)).toHaveLength(1);
    // The list shows it, newest first.
    await page.getByRole('link', { name: 'Calls' }).click();
    await page.locator('tbody tr').first().getByText('cancelled').waitFor();

    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
    // Never in a URL: the credentials live in session storage only.
    expect(page.url()).not.toContain(gateway.sandbox!.appSecret);
  });

  it('bob answers on his Android phone: the call page and list follow live, his other phones clear', async () => {
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('heading', { name: 'Sandbox phones' }).waitFor();
    // Placed by the app's backend, not the console: the list picks it up on its next load and follows it.
    const auth = `Basic ${Buffer.from(`${gateway.sandbox!.appKey}:${gateway.sandbox!.appSecret}`).toString('base64')}`;
    const placed = await fetch(`${origin}/v1/calls`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'alice', to: ['bob'], displayName: 'Alice', headers: { room: 'r-42' } }),
    });
    const { callId } = (await placed.json()) as { callId: string };
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.locator(`tr[data-call="${callId}"]`);
    await row.getByText('ringing').waitFor();
    await expect
      .poll(() => phoneStates(page), { timeout: 5000 })
      .toEqual({ pixel: 'ringing', huawei: 'ringing', iphone: 'ringing', browser: 'ringing' });
    expect(await page.locator('.phone[data-device="pixel"] .phone-headers').textContent()).toContain('r-42');

    const token = await fetch(`${origin}/v1/users/bob/access-tokens`, {
      method: 'POST',
      headers: { authorization: auth },
    });
    const { accessToken } = (await token.json()) as { accessToken: string };
    const answered = await fetch(`${origin}/v1/calls/${callId}/answer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: 'pixel' }),
    });
    expect(answered.status).toBe(200);
    // The row's state changes without a reload; the phones: answered on the pixel, cleared on the others.
    await row.getByText('answered').waitFor({ timeout: 5000 });
    await expect
      .poll(() => phoneStates(page), { timeout: 5000 })
      .toEqual({ pixel: 'answered', huawei: 'cancelled', iphone: 'ended', browser: 'cancelled' });
    await row.getByRole('link').click();
    await page.locator('#call-state', { hasText: 'answered' }).waitFor();
    await expect
      .poll(() =>
        page
          .locator('.delivery[data-state]')
          .evaluateAll((els) => els.filter((e) => e.textContent?.includes('answered_elsewhere')).length),
      )
      .toBeGreaterThanOrEqual(2);
    // An answered call still ends: the caller hangs up.
    await fetch(`${origin}/v1/calls/${callId}/end`, { method: 'POST', headers: { authorization: auth } });
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('signs in with the sandbox app in one click, when the gateway offers it', async (ctx) => {
    const offered = await fetch(`${origin}/console/sandbox-app`, { headers: { 'sec-fetch-site': 'same-origin' } });
    // The gateway hands the sandbox app to the HTTP server only once it is wired to (docs/console.md).
    if (offered.status === 204) return ctx.skip();
    const { page, offOrigin, errors } = await open();
    await page.getByRole('button', { name: 'Use the sandbox app' }).click();
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    expect(page.url()).not.toContain(gateway.sandbox!.appSecret);
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('shows the API error for bad credentials and stays signed out', async () => {
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, 'not-the-secret');
    await page.locator('#error').waitFor();
    expect(await page.locator('#error').textContent()).toMatch(/not valid \(\w+\)$/);
    expect(await page.getByLabel('App key').isVisible()).toBe(true);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(offOrigin).toEqual([]);
    // Chromium logs the refused request itself; nothing else may fail.
    expect(errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
  });

  it('lets the operator create an app and continue as it', async () => {
    const { page, offOrigin, errors } = await open();
    await page.getByLabel('Admin token').fill(gateway.sandbox!.adminToken);
    await page.getByRole('button', { name: 'Sign in as operator' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await page.getByLabel('New app name').fill('console-made');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('button', { name: 'Continue as console-made' }).click();
    await page.getByRole('heading', { name: 'Calls' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('No calls yet');
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows each provider's health, and the API's refusal next to the field of a new credential", async () => {
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('link', { name: 'Providers' }).click();
    const fcm = page.locator('.card[data-provider="fcm"]');
    await fcm.waitFor();
    // Earlier tests rang bob: the FCM credential has deliveries in the last hour and a cached token.
    expect(await fcm.locator('.health').textContent()).toMatch(/[1-9]\d* deliveries, 0 failed.*cached since/);
    await page.getByLabel('Credential name').fill('webpush-2');
    await page.getByLabel('Type').selectOption('webpush');
    await page.getByLabel('VAPID public key').fill('not-a-key');
    await page.getByLabel('VAPID private key').fill('not-a-key-either');
    await page.getByLabel('Subject (mailto: or https:)').fill('mailto:ops@example.com');
    await page.getByRole('button', { name: 'Save credential' }).click();
    const error = page.locator('#credential-vapidPublicKey-error');
    await expect.poll(() => error.textContent()).toMatch(/\(\w+\)$/);
    expect(await page.getByLabel('VAPID public key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.card').count()).toBe(4);
    expect(offOrigin).toEqual([]);
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('finds bob by the start of his id, then his devices', async () => {
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('link', { name: 'Users and devices' }).click();
    await page.getByLabel('User id starts with').fill('bo');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'bob', exact: true }).click();
    await page.locator('.device[data-device="huawei"]').waitFor();
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });

  // Last: the pixel's registration is pruned by it.
  it("shows a failing device's reason and diagnosis", async () => {
    const sandbox = JSON.parse(readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8'));
    const pixel = sandbox.user.devices.find((d: { provider: string }) => d.provider === 'fcm');
    gateway.emulators!.fcm.behaviours.set(pixel.token, { kind: 'unregistered' });
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('link', { name: 'Test ring' }).click();
    await page.getByRole('button', { name: 'Test ring' }).click();

    const card = page.locator(`.delivery[data-device="${pixel.deviceId}"]`).first();
    await card.locator('.state', { hasText: 'failed' }).waitFor({ timeout: 10_000 });
    expect(await card.locator('.facts').textContent()).toContain('outcome token_gone');
    const diagnosis = page.locator('.diagnosis li[data-code="token_pruned"]');
    await diagnosis.waitFor({ timeout: 5000 });
    expect(await diagnosis.textContent()).toContain('no longer valid');
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("lists a user's devices and removes one after confirmation", async () => {
    const { page, offOrigin, errors } = await open();
    await signIn(page, gateway.sandbox!.appKey, gateway.sandbox!.appSecret);
    await page.getByRole('link', { name: 'Users and devices' }).click();
    await page.getByLabel('User', { exact: true }).fill('bob');
    await page.getByRole('button', { name: 'Show devices' }).click();
    const browserPhone = page.locator('.device[data-device="browser"]');
    await browserPhone.waitFor();
    expect(await browserPhone.textContent()).toContain('webpush');
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Remove device browser' }).click();
    await browserPhone.waitFor({ state: 'detached' });
    expect(await page.locator('.device[data-device="iphone"]').count()).toBe(1);
    expect(offOrigin).toEqual([]);
    expect(errors).toEqual([]);
  });
});
