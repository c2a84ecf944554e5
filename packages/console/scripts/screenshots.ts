/**
 * Screenshots of the console for docs/console.md: a sandbox gateway in a temporary folder, a test ring to
 * bob, then each page in light and dark, at a laptop's width and the call page at a phone's.
 * Run: npm run screenshots -w packages/console (Debian's chromium, or CHROMIUM_PATH).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { resolveConfig, startGateway } from '@callpush/server';
import type { Page } from 'playwright-core';
import { chromiumPath, launchChromium } from '../../client/test/support/browser.js';
import { buildConsole } from '../src/build.js';

const OUT = path.resolve(import.meta.dirname, '../../../docs/console');
const executable = chromiumPath();
if (!executable) throw new Error('no chromium: install Debian chromium or set CHROMIUM_PATH');

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-console-shots-'));
const consoleDir = path.join(dataDir, 'console');
await buildConsole(consoleDir);
const gateway = await startGateway(
  resolveConfig({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      CALLPUSH_DATA_DIR: dataDir,
      CALLPUSH_SANDBOX: 'true',
      CALLPUSH_CONSOLE_DIR: consoleDir,
    },
  }),
  { logStream: new PassThrough().resume() },
);
const browser = await launchChromium(executable);
mkdirSync(OUT, { recursive: true });

async function shoot(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(OUT, `${name}-${colorScheme}.png`), fullPage: true });
  }
}

try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  await page.goto(`${gateway.url}/console/`);
  await shoot(page, 'sign-in');
  await page.getByLabel('App key').fill(gateway.sandbox!.appKey);
  await page.getByLabel('App secret').fill(gateway.sandbox!.appSecret);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Sandbox phones' }).waitFor();
  await page.getByRole('link', { name: 'Test ring' }).click();
  await page.getByRole('button', { name: 'Test ring' }).click();
  await page.locator('.delivery[data-state="sent"]').nth(3).waitFor();
  await page.locator('.phone[data-state="ringing"]').nth(3).waitFor();
  // A still frame: the ringing phones' wobble stopped.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await shoot(page, 'call');
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot(page, 'call-phone');
  await page.setViewportSize({ width: 1100, height: 720 });
  await page.getByRole('button', { name: 'Cancel the call' }).click();
  await page.locator('#call-state', { hasText: 'cancelled' }).waitFor();
  await page.getByRole('link', { name: 'Calls' }).click();
  await page.locator('tbody tr').first().waitFor();
  await page.locator('.phone[data-state="cancelled"]').first().waitFor();
  await shoot(page, 'calls');
  await page.goto(`${gateway.url}/console/#/users/bob`);
  await page.locator('.device').first().waitFor();
  await shoot(page, 'devices');
  await page.getByRole('link', { name: 'Providers' }).click();
  await page.locator('.card').first().waitFor();
  await page.getByLabel('Credential name').fill('webpush-2');
  await page.getByLabel('Type').selectOption('webpush');
  await page.getByLabel('VAPID public key').fill('not-a-key');
  await page.getByLabel('VAPID private key').fill('not-a-key-either');
  await page.getByLabel('Subject (mailto: or https:)').fill('mailto:ops@example.com');
  await page.getByRole('button', { name: 'Save credential' }).click();
  await page.locator('.field-error:not(:empty)').waitFor();
  await shoot(page, 'providers');
} finally {
  await browser.close();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
