#!/usr/bin/env node
import module from 'node:module';

// V8's compiled code for the bundled command, kept on disk (under the OS temp folder) for the next start: about
// 100 ms less start-up; where the folder cannot be written, Node just goes without.
module.enableCompileCache();
// npm links a workspace's bin at install time and skips one whose file is missing; this file exists from the
// clone on, so `npx callpush` works in the repository once it is built.
try {
  await import('../dist/callpush.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.url ?? err.message).includes('/dist/callpush.js')) throw err;
  process.stderr.write('callpush: the gateway is not built yet: run npm run build (npm start builds it too)\n');
  process.exit(1);
}
