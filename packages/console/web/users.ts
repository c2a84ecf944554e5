import { api, type Device, type UserPage } from './api.js';
import { field, h, time } from './dom.js';
import type { AppSession as Session } from './session.js';

function userForm(label: string, value: string, go: (userId: string) => void, button: string): HTMLFormElement {
  const input = h('input', { name: 'userId', value, required: true, autocomplete: 'off' });
  return h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        go(input.value.trim());
      },
    },
    field(label, input),
    h('button', { type: 'submit' }, button),
  );
}

/** Test ring: a real call to every device of the user, marked as a test; then its call page. */
export function testRing(session: Session, root: HTMLElement, onError: (e: unknown) => void): void {
  const form = userForm(
    'User to ring',
    'bob',
    (userId) =>
      api<{ callId: string }>(session, 'POST', `/v1/users/${encodeURIComponent(userId)}/test-ring`).then(
        ({ callId }) => {
          location.hash = `#/calls/${callId}`;
        },
        onError,
      ),
    'Test ring',
  );
  root.replaceChildren(
    h('h2', {}, 'Test ring'),
    h('p', {}, 'Rings every device of the user with a real call marked as a test (no missed-call notice).'),
    form,
  );
}

function capabilities(d: Device): string {
  const c = d.capabilities;
  if (!c) return 'never reported';
  return Object.entries(c)
    .filter(([k]) => k !== 'reportedAt')
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/**
 * Users found by the start of their id (`GET /v1/users?prefix=`), a page at a time, each a link to its
 * devices. The API knows a user by its registered devices.
 */
function userSearch(session: Session, onError: (e: unknown) => void): HTMLElement {
  const prefix = h('input', { name: 'prefix', autocomplete: 'off', spellcheck: 'false', maxlength: '128' });
  const results = h('ul', { class: 'results', 'aria-label': 'Users found' });
  const more = h('button', { type: 'button', hidden: true }, 'More users');
  const note = h('p', { role: 'status' });
  let next: string | undefined;
  const load = (fresh: boolean) => {
    const q = new URLSearchParams({ limit: '20' });
    if (prefix.value.trim()) q.set('prefix', prefix.value.trim());
    if (!fresh && next) q.set('cursor', next);
    api<UserPage>(session, 'GET', `/v1/users?${q}`).then((page) => {
      if (fresh) results.replaceChildren();
      results.append(
        ...page.users.map((u) => h('li', {}, h('a', { href: `#/users/${encodeURIComponent(u.userId)}` }, u.userId))),
      );
      next = page.next;
      more.hidden = !next;
      note.textContent = results.childElementCount ? '' : 'No user with a registered device starts so.';
    }, onError);
  };
  more.addEventListener('click', () => load(false));
  return h(
    'section',
    { 'aria-labelledby': 'user-search-title' },
    h('h3', { id: 'user-search-title' }, 'Find a user'),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (e: Event) => {
          e.preventDefault();
          load(true);
        },
      },
      field('User id starts with', prefix),
      h('button', { type: 'submit' }, 'Search'),
    ),
    note,
    results,
    more,
  );
}

/** A user's devices with their last ring and receipt; a device can be removed. */
export async function userDevices(
  session: Session,
  root: HTMLElement,
  userId: string,
  onError: (e: unknown) => void,
): Promise<void> {
  const form = userForm(
    'User',
    userId,
    (u) => {
      location.hash = `#/users/${encodeURIComponent(u)}`;
    },
    'Show devices',
  );
  if (!userId) return void root.replaceChildren(h('h2', {}, 'Users and devices'), userSearch(session, onError), form);
  const path = `/v1/users/${encodeURIComponent(userId)}/devices`;
  const { devices } = await api<{ devices: Device[] }>(session, 'GET', path);
  const reload = () => userDevices(session, root, userId, onError).catch(onError);
  const items = devices.map((d) =>
    h(
      'li',
      { class: 'device', 'data-device': d.deviceId },
      h('h3', {}, d.deviceId),
      h('p', {}, `${d.providerType} (${d.provider}), ${d.kind}`),
      h(
        'p',
        {},
        d.lastRing
          ? `Last ring ${time(d.lastRing.at)}: ${d.lastRing.state}${d.lastRing.outcome ? `, ${d.lastRing.outcome}` : ''}`
          : 'Never rung',
        d.lastRing?.detail ? ` (${d.lastRing.detail})` : '',
      ),
      h('p', {}, d.lastReceipt ? `Last receipt ${time(d.lastReceipt.at)}` : 'No receipt yet'),
      h('p', {}, `Capabilities: ${capabilities(d)}`),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'aria-label': `Remove device ${d.deviceId}`,
          onclick: () => {
            if (!confirm(`Remove ${d.deviceId} of ${userId}?`)) return;
            api(session, 'DELETE', `${path}/${encodeURIComponent(d.deviceId)}`).then(reload, onError);
          },
        },
        'Remove',
      ),
    ),
  );
  root.replaceChildren(
    h('h2', {}, 'Users and devices'),
    form,
    h('h3', {}, `Devices of ${userId}`),
    items.length ? h('ul', { class: 'devices' }, ...items) : h('p', {}, `${userId} has no registered device.`),
  );
}
