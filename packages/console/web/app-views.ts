import { ApiError, api } from './api.js';
import { h } from './dom.js';
import type { AppSession as Session } from './session.js';

/** An object's fields as a definition list: these views show what the API returns, whatever its fields. */
export function facts(record: Record<string, unknown>): HTMLDListElement {
  return h(
    'dl',
    {},
    ...Object.entries(record).flatMap(([k, v]) => [
      h('dt', {}, k),
      h('dd', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)),
    ]),
  );
}

/** The app's event endpoint, its recent deliveries and a test event. */
export async function events(session: Session, root: HTMLElement, onError: (e: unknown) => void): Promise<void> {
  const path = `/v1/apps/${encodeURIComponent(session.appKey)}/webhooks/events`;
  const endpoint = await api<Record<string, unknown>>(session, 'GET', path).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  });
  if (!endpoint) {
    root.replaceChildren(
      h('h2', {}, 'Events'),
      h('p', {}, 'No event endpoint: set one with PUT ', h('code', {}, path), ' (docs/events.md).'),
    );
    return;
  }
  const recent = await api<{ attempts: Array<Record<string, unknown>> }>(session, 'GET', `${path}/deliveries`);
  const reload = () => events(session, root, onError).catch(onError);
  root.replaceChildren(
    h('h2', {}, 'Events'),
    h('h3', {}, 'Endpoint'),
    facts(endpoint),
    h(
      'button',
      { type: 'button', onclick: () => api(session, 'POST', `${path}/test`).then(reload, onError) },
      'Send test event',
    ),
    h('h3', {}, 'Recent deliveries'),
    recent.attempts.length
      ? h('ul', { class: 'cards' }, ...recent.attempts.map((d) => h('li', { class: 'card' }, facts(d))))
      : h('p', {}, 'None yet.'),
  );
}
