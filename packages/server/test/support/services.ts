import net from 'node:net';

export const PG_URL = process.env.CALLPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.CALLPUSH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRED = process.env.CALLPUSH_REQUIRE_SERVICES === '1';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Whether the tests of a service run. With CALLPUSH_REQUIRE_SERVICES=1 (CI) an unreachable server fails the run
 * instead of silently skipping its tests.
 */
async function available(name: string, url: string): Promise<boolean> {
  const ok = await reachable(url);
  if (!ok && REQUIRED) throw new Error(`${name} is required (CALLPUSH_REQUIRE_SERVICES=1) but ${url} is unreachable`);
  return ok;
}

export const postgresAvailable = () => available('PostgreSQL', PG_URL);
export const redisAvailable = () => available('Redis', REDIS_URL);
