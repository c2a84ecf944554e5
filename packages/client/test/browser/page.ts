// A minimal calling page built from @callpush/client: it listens on the active connection, shows an incoming
// call, answers it, and shows a cancel. The browser test drives it; the query string says who it is.
import { type Call, CallPushClient } from '../../src/index.js';

const params = new URLSearchParams(location.search);
const gateway = params.get('gateway') ?? '';
const userId = params.get('user') ?? '';
const deviceId = params.get('device') ?? '';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const show = (id: string, text: string) => {
  $(id).textContent = text;
};

const client = new CallPushClient({ deviceId });
client.on('connected', () => show('connection', 'connected'));
client.on('disconnected', (info) => show('connection', `disconnected ${info.code}`));
client.on('error', (err) => show('error', err.message));
client.on('incomingCall', (call: Call) => {
  show('caller', `${call.displayName ?? call.remoteUserId} is calling${call.videoOffered ? ' (video)' : ''}`);
  show('state', 'ringing');
  ($('answer') as HTMLButtonElement).disabled = false;
  $('answer').onclick = async () => {
    ($('answer') as HTMLButtonElement).disabled = true;
    try {
      await call.answer();
      show('state', 'answered');
    } catch (err) {
      show('error', (err as Error).message);
    }
  };
  call.on('cancelled', (reason) => {
    ($('answer') as HTMLButtonElement).disabled = true;
    show('state', `cancelled: ${reason}`);
  });
});

// The app's own backend hands out callpush tokens; in the test it is the server that serves this page.
await client.connect({
  baseUrl: gateway,
  userId,
  accessTokenProvider: async (user) => {
    const res = await fetch(`/token?user=${encodeURIComponent(user)}`);
    return ((await res.json()) as { accessToken: string }).accessToken;
  },
});
client.startListeningOnActiveConnection();
