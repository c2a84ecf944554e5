import { api, type Call, type CallSummary, type Delivery, type Diagnosis } from './api.js';
import { clock, field, h, time } from './dom.js';
import { latest, openStream } from './live.js';
import { authorization, type AppSession as Session } from './session.js';

const STATES = ['', 'ringing', 'answered', 'declined', 'busy', 'cancelled', 'timed_out', 'ended'];

/** Rows of ringing calls the list follows live (each holds a connection: the browser allows six per origin). */
const LIVE_ROWS = 3;

/**
 * The app's calls, newest first (the API's order), filtered by user and state. The state of a call still
 * ringing follows its event stream until it settles. Returns the stop.
 */
export function callList(
  session: Session,
  root: HTMLElement,
  params: URLSearchParams,
  onError: (e: unknown) => void,
): () => void {
  const stops: Array<() => void> = [];
  let stopped = false;
  const user = h('input', { name: 'userId', value: params.get('userId') ?? '', autocomplete: 'off' });
  const state = h('select', { name: 'state' }, ...STATES.map((s) => h('option', { value: s }, s || 'any')));
  state.value = params.get('state') ?? '';
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const q = new URLSearchParams();
        if (user.value) q.set('userId', user.value);
        if (state.value) q.set('state', state.value);
        location.hash = `#/calls?${q}`;
      },
    },
    field('User', user),
    field('State', state),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const query = new URLSearchParams({ limit: '50' });
  for (const k of ['userId', 'state']) if (params.get(k)) query.set(k, params.get(k)!);
  const draw = async () => {
    const { calls } = await api<{ calls: CallSummary[] }>(session, 'GET', `/v1/calls?${query}`);
    if (stopped) return;
    const rows = calls.map((c) => {
      const cell = h('td', {}, stateBadge(c.state), c.test ? ' (test)' : '');
      return {
        c,
        cell,
        row: h(
          'tr',
          { 'data-call': c.callId },
          h('td', {}, h('a', { href: `#/calls/${c.callId}` }, c.callId)),
          h('td', {}, time(c.createdAt)),
          h('td', {}, c.from),
          h('td', {}, c.to.join(', ')),
          cell,
        ),
      };
    });
    for (const { c, cell } of rows.filter((r) => r.c.state === 'ringing').slice(0, LIVE_ROWS)) {
      stops.push(
        watchCall(session, c.callId, {
          onCall: (call) => cell.replaceChildren(stateBadge(call.state), call.test ? ' (test)' : ''),
          onError,
        }),
      );
    }
    root.replaceChildren(
      h('h2', {}, 'Calls'),
      form,
      calls.length === 0
        ? h('p', {}, 'No calls yet. Place a test ring to see one.')
        : h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              {},
              h('caption', { class: 'visually-hidden' }, 'Calls, newest first'),
              h(
                'thead',
                {},
                h('tr', {}, ...['Call', 'Placed', 'From', 'To', 'State'].map((t) => h('th', { scope: 'col' }, t))),
              ),
              h('tbody', {}, ...rows.map((r) => r.row)),
            ),
          ),
    );
  };
  draw().catch(onError);
  return () => {
    stopped = true;
    for (const stop of stops) stop();
  };
}

function stateBadge(state: string): HTMLElement {
  return h('span', { class: `state state-${state}` }, state);
}

/**
 * Follows a call through `GET /v1/calls/{callId}/events` until it settles: `onCall` gets each new state of it.
 * A stream that ends before the call settles (its lifetime, a dropped connection) is opened again after a
 * second. Returns the stop.
 */
function watchCall(
  session: Session,
  callId: string,
  on: { onCall: (call: Call) => void; onEnd?: () => void; onError: (e: unknown) => void },
): () => void {
  let stop: (() => void) | undefined;
  let stopped = false;
  const open = () => {
    stop = openStream(
      `/v1/calls/${encodeURIComponent(callId)}/events`,
      { authorization: authorization(session) },
      {
        onEvent: (event, data) => {
          if (event === 'call') on.onCall(data as Call);
        },
        onEnd: (reason) => {
          if (stopped) return;
          if (reason === 'settled' || reason === 'none') on.onEnd?.();
          else setTimeout(() => stopped || open(), 1000);
        },
        onError: on.onError,
      },
    );
  };
  open();
  return () => {
    stopped = true;
    stop?.();
  };
}

/** The funnel's milestones in order; a ring that reached one has reached those before it. */
const MILESTONES: Array<[string, string]> = [
  ['accepted', 'Accepted'],
  ['sent', 'Sent'],
  ['provider_accepted', 'Provider accepted'],
  ['received', 'Received'],
  ['answered', 'Answered'],
];
/** Only providers that report delivery (Huawei's receipts) reach this step: shown where one did. */
const PROVIDER_DELIVERED: [string, string] = ['provider_delivered', 'Provider delivered'];

function timeline(d: Delivery): HTMLElement {
  const reached = new Map(d.funnel.map((s) => [s.milestone, s]));
  // Each step also as the time since the ring was accepted: where a ring lost its seconds shows at a glance.
  const start = d.funnel[0]?.at ?? 0;
  const declined = reached.get('declined');
  const all = reached.has('provider_delivered')
    ? [...MILESTONES.slice(0, 3), PROVIDER_DELIVERED, ...MILESTONES.slice(3)]
    : MILESTONES;
  const steps = declined ? [...all.slice(0, -1), ['declined', 'Declined'] as [string, string]] : all;
  return h(
    'ol',
    { class: 'funnel', 'aria-label': `Funnel of ${d.deviceId}` },
    ...steps.map(([key, label]) => {
      const step = reached.get(key);
      return h(
        'li',
        { class: step ? 'reached' : 'pending', 'data-milestone': key },
        h('span', { class: 'label' }, label),
        h('span', { class: 'at' }, step ? `${clock(step.at)} (+${step.at - start} ms)` : 'not yet'),
      );
    }),
  );
}

function deliveryCard(d: Delivery): HTMLElement {
  const facts = [
    `${d.providerType} (${d.provider}), ${d.kind}, over ${d.transport}`,
    `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
    d.outcome && `outcome ${d.outcome}`,
    d.cancelReason && `reason ${d.cancelReason}`,
  ].filter(Boolean);
  return h(
    'article',
    { class: 'delivery', 'data-device': d.deviceId, 'data-state': d.state },
    h('h4', {}, `${d.userId} / ${d.deviceId} `, h('span', { class: `state state-${d.state}` }, d.state)),
    h('p', { class: 'facts' }, facts.join(' · ')),
    d.detail ? h('p', { class: 'detail' }, d.detail) : null,
    timeline(d),
  );
}

function diagnosisList(diagnosis: Diagnosis): HTMLElement {
  return h(
    'ul',
    { class: 'diagnosis' },
    ...diagnosis.devices.map((d) =>
      h(
        'li',
        { 'data-code': d.code },
        h('strong', {}, `${d.userId}${d.deviceId ? ` / ${d.deviceId}` : ''}: `),
        d.message,
        ...d.notes.map((n) => h('span', { class: 'note' }, ` ${n.message}`)),
      ),
    ),
  );
}

/**
 * A call with each device's funnel and the diagnosis, kept up to date by the call's event stream while it
 * rings or has a cancel or notice on its way (docs/console.md); returns the stop. The heading and the cancel
 * button stay put while the rest is redrawn, so keyboard focus is not lost, and an answer that did not change
 * redraws nothing.
 */
export function callPage(session: Session, root: HTMLElement, callId: string, onError: (e: unknown) => void) {
  const path = `/v1/calls/${encodeURIComponent(callId)}`;
  const summary = h('p', {});
  const cancel = h(
    'button',
    { type: 'button', hidden: true, onclick: () => api(session, 'POST', `${path}/cancel`).catch(onError) },
    'Cancel the call',
  );
  const body = h('div', {});
  root.replaceChildren(
    h('section', { 'aria-label': `Call ${callId}` }, h('h2', {}, `Call ${callId}`), summary, cancel, body),
  );
  let stopped = false;
  let watching: (() => void) | undefined;
  let last = '';
  /** Draws the call (as the stream sent it, or read now) with its diagnosis; true while it is live. */
  const render = async (given?: Call): Promise<boolean> => {
    const [call, diagnosis] = await Promise.all([
      given ?? api<Call>(session, 'GET', path),
      api<Diagnosis>(session, 'GET', `${path}/diagnosis`),
    ]);
    // Also while a cancel or notice is still on its way after the call stopped ringing.
    const live = call.state === 'ringing' || call.deliveries.some((d) => d.state === 'pending');
    if (stopped) return live;
    const seen = JSON.stringify([call, diagnosis, live && watching !== undefined]);
    if (seen === last) return live;
    last = seen;
    const rings = call.deliveries.filter((d) => d.type === 'ring');
    const others = call.deliveries.filter((d) => d.type !== 'ring');
    summary.replaceChildren(
      `${call.displayName ?? call.from} → ${call.to.join(', ')}${call.video ? ' (video)' : ''}, placed ${time(call.createdAt)}. `,
      'State: ',
      h('strong', { id: 'call-state' }, call.state),
      call.endReason ? ` (${call.endReason})` : '',
      live && watching ? h('span', { id: 'live' }, ' — updating live') : '',
    );
    cancel.hidden = call.state !== 'ringing';
    body.replaceChildren(
      h('h3', {}, 'Devices'),
      rings.length ? h('div', { class: 'deliveries' }, ...rings.map(deliveryCard)) : h('p', {}, 'No device was rung.'),
      others.length ? h('h3', {}, 'Cancels and missed-call notices') : '',
      others.length ? h('div', { class: 'deliveries' }, ...others.map(deliveryCard)) : '',
      h('h3', {}, 'Diagnosis'),
      diagnosisList(diagnosis),
    );
    return live;
  };
  // The stream sends the whole call on each change; the diagnosis is read again with it.
  const update = latest((call: Call) => render(call).then(() => undefined, onError));
  render()
    .then((live) => {
      if (!live || stopped) return;
      watching = watchCall(session, callId, {
        onCall: update,
        // Settled: drawn once more as it ends, without the "live" mark.
        onEnd: () => {
          watching = undefined;
          render().catch(onError);
        },
        onError,
      });
    })
    .catch(onError);
  return () => {
    stopped = true;
    watching?.();
  };
}
