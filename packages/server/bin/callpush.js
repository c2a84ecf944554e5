#!/usr/bin/env node
// npm links a workspace's bin at install time and skips one whose file is missing; this file exists from the
// clone on, so `npx callpush` works in the repository once it is built.
try {
  await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.url ?? err.message).includes('/dist/cli.js')) throw err;
  process.stderr.write('callpush: the gateway is not built yet: run npm run build (npm start builds it too)\n');
  process.exit(1);
}
