import type { SandboxPhone as Phone } from '@callpush/server/sandbox-phones';
import { clock, h } from './dom.js';
import { openStream } from './live.js';

const PROVIDERS: Record<string, string> = { fcm: 'FCM', hms: 'Huawei HMS', apns: 'APNs', webpush: 'Web Push' };

/**
 * What the phone shows. A ring lights it while its call rings and its time has not run out; it clears on a
 * cancel, a missed-call notice, or once the call stands elsewhere (a VoIP phone gets no cancel push).
 */
function screen(p: Phone, now: number): { state: string; text: string } {
  const m = p.last;
  if (!m) return { state: 'idle', text: 'No call yet' };
  if (m.type === 'cancel') return { state: 'cancelled', text: `Cancelled${m.reason ? ` (${m.reason})` : ''}` };
  if (m.type === 'missed') return { state: 'missed', text: 'Missed call' };
  const call = m.call?.state;
  if (call === 'answered' && m.call?.answeredBy?.deviceId === p.deviceId)
    return { state: 'answered', text: 'Answered here' };
  if (call === 'ringing' && (m.expiresAt === undefined || now < m.expiresAt)) {
    return { state: 'ringing', text: m.video ? 'Incoming video call' : 'Incoming call' };
  }
  return { state: 'ended', text: `Rang; the call is ${call ?? 'over'}` };
}

function phoneCard(p: Phone, now: number): HTMLLIElement {
  const m = p.last;
  const { state, text } = screen(p, now);
  const headers = Object.entries(m?.headers ?? {});
  return h(
    'li',
    { class: 'phone', 'data-device': p.deviceId, 'data-state': state },
    h('p', { class: 'phone-name' }, h('strong', {}, p.deviceId), ` ${PROVIDERS[p.provider] ?? p.provider} · ${p.kind}`),
    h('p', { class: 'phone-status' }, text),
    m ? h('p', { class: 'phone-caller' }, m.displayName ? `${m.displayName} (${m.from})` : m.from) : null,
    headers.length
      ? h(
          'dl',
          { class: 'phone-headers', 'aria-label': 'Call headers' },
          ...headers.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        )
      : null,
    m ? h('p', { class: 'phone-time' }, `${m.type} at ${clock(m.receivedAt)}`) : null,
  );
}

/**
 * The sandbox phones: bob's four devices, each lit while its emulator's last message is a ring still ringing,
 * with the caller and the call's headers. Drawn only where the gateway runs the sandbox and the page is opened
 * on its machine (the route answers 204 elsewhere); kept up to date by the phones' stream. Returns the stop.
 */
export function sandboxPhones(root: HTMLElement, onError: (e: unknown) => void): () => void {
  let stopped = false;
  let stopStream: (() => void) | undefined;
  let expiry: ReturnType<typeof setTimeout> | undefined;
  const list = h('ul', { class: 'phones' });
  // Said once per change of which phones ring, not on every redraw of the four.
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const draw = (phones: Phone[]) => {
    const now = Date.now();
    list.replaceChildren(...phones.map((p) => phoneCard(p, now)));
    const ringing = phones.filter((p) => screen(p, now).state === 'ringing').map((p) => p.deviceId);
    const said = ringing.length ? `Ringing: ${ringing.join(', ')}` : 'No phone rings';
    if (announce.textContent !== said) announce.textContent = said;
    // A ring nobody cancels (a VoIP phone's) goes dark by itself when its time runs out.
    clearTimeout(expiry);
    const ends = phones.flatMap((p) => (p.last?.type === 'ring' && p.last.expiresAt! > now ? [p.last.expiresAt!] : []));
    if (ends.length) expiry = setTimeout(() => draw(phones), Math.min(...ends) - now + 50);
  };
  const listen = () => {
    stopStream = openStream(
      '/console/sandbox-phones/events',
      {},
      {
        onEvent: (event, data) => {
          if (event === 'phones') draw((data as { phones: Phone[] }).phones);
        },
        // A stream that ran its course (or dropped) is opened again while the page shows the phones.
        onEnd: (reason) => {
          if (!stopped && reason !== 'none' && reason !== 'shutdown') setTimeout(() => stopped || listen(), 1000);
        },
        onError,
      },
    );
  };
  fetch('/console/sandbox-phones', { headers: { accept: 'application/json' } })
    .then((r) => (r.status === 200 ? (r.json() as Promise<{ phones: Phone[] }>) : undefined))
    .then((body) => {
      if (!body || stopped) return;
      draw(body.phones);
      root.replaceChildren(
        h(
          'section',
          { class: 'phones-panel', 'aria-labelledby': 'phones-title' },
          h('h2', { id: 'phones-title' }, 'Sandbox phones'),
          h('p', { class: 'hint' }, "bob's four emulated devices: each lights up when its emulator receives a ring."),
          list,
          announce,
        ),
      );
      root.hidden = false;
      listen();
    })
    // No phones is no error: the rest of the console works the same.
    .catch(() => undefined);
  return () => {
    stopped = true;
    stopStream?.();
    clearTimeout(expiry);
    root.replaceChildren();
    root.hidden = true;
  };
}
