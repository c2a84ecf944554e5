// Run in a child process with the platform's own WebSocket (Node 22+, or Node 20 with --experimental-websocket):
// a client built without a `webSocket` option connects, rings, answers, and reports what happened on stdout.
import { CallPushClient } from '../../src/index.js';

const GATEWAY = process.env.GATEWAY ?? '';
const TOKEN = process.env.TOKEN ?? '';
const client = new CallPushClient({ deviceId: 'node-platform-ws' });
await client.connect({ baseUrl: GATEWAY, userId: 'nina', accessTokenProvider: async () => TOKEN });
client.on('connected', () => process.stdout.write(`${JSON.stringify({ event: 'connected' })}\n`));
client.on('incomingCall', (call) => {
  process.stdout.write(`${JSON.stringify({ event: 'incomingCall', callId: call.callId, from: call.remoteUserId })}\n`);
  call.answer().then(
    () => {
      process.stdout.write(`${JSON.stringify({ event: 'answered' })}\n`);
      client.disconnect();
    },
    (err: Error) => {
      process.stdout.write(`${JSON.stringify({ event: 'error', message: err.message })}\n`);
      process.exit(1);
    },
  );
});
client.startListeningOnActiveConnection();
