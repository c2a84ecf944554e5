import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

const CHILD = path.resolve(import.meta.dirname, 'support/platform-websocket-child.ts');

/**
 * Node 22 and 24 have a global WebSocket, which the client uses when given none. This machine runs Node 20,
 * where the same implementation (undici's) is behind --experimental-websocket: the child gets the flag when
 * its Node needs it, and no `ws` anywhere.
 */
describe('the client on Node with the platform WebSocket', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('connects, rings and answers without being handed a WebSocket', async () => {
    const flags = typeof WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
    const child = spawn(process.execPath, [...flags, '--conditions=source', '--import', 'tsx', CHILD], {
      env: { ...process.env, GATEWAY: stack.baseUrl, TOKEN: await stack.userToken('nina') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Array<Record<string, string>> = [];
    const waiters = new Set<() => void>();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) events.push(JSON.parse(line));
      for (const w of waiters) w();
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`))),
    );
    const seen = (event: string) =>
      Promise.race([
        exited,
        new Promise<void>((resolve) => {
          const check = () => {
            if (events.some((e) => e.event === event)) resolve();
          };
          waiters.add(check);
          check();
        }),
      ]);
    await seen('connected');
    const placed = await stack.asApp('POST', '/v1/calls', { from: 'oscar', to: ['nina'] });
    expect(placed.status).toBe(201);
    await seen('answered');
    expect(events.find((e) => e.event === 'incomingCall')).toEqual({
      event: 'incomingCall',
      callId: placed.body.callId,
      from: 'oscar',
    });
    const state = await stack.asApp('GET', `/v1/calls/${placed.body.callId}`);
    expect(state.body.answeredBy).toEqual({ userId: 'nina', deviceId: 'node-platform-ws' });
    child.kill();
  });
});
