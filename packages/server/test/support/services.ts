import net from 'node:net';

export const PG_URL = process.env.CALLPUSH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
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
 * Whether PostgreSQL tests run. With CALLPUSH_REQUIRE_SERVICES=1 (CI) an unreachable server fails the run
 * instead of silently skipping its tests.
 */
export async function postgresAvailable(): Promise<boolean> {
  const ok = await reachable(PG_URL);
  if (!ok && REQUIRED)
    throw new Error(`PostgreSQL is required (CALLPUSH_REQUIRE_SERVICES=1) but ${PG_URL} is unreachable`);
  return ok;
}
