import { type App, api, type CreatedApp } from './api.js';
import { field, h, time } from './dom.js';
import type { AppSession, Session } from './session.js';

/**
 * The operator's page: the apps, and a new one. A new app's secret is shown this once (the API never returns
 * it again), with a button to continue as that app.
 */
export async function apps(
  session: Session,
  root: HTMLElement,
  signInAs: (s: AppSession) => void,
  onError: (e: unknown) => void,
): Promise<void> {
  const list = await api<{ apps: App[] }>(session, 'GET', '/v1/apps');
  const name = h('input', { name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const created = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        api<CreatedApp>(session, 'POST', '/v1/apps', { name: name.value.trim() }).then((app) => {
          created.replaceChildren(
            h('p', {}, `Created ${app.name}. Its secret is shown only now: keep it.`),
            h(
              'dl',
              {},
              h('dt', {}, 'App key'),
              h('dd', {}, app.key),
              h('dt', {}, 'App secret'),
              h('dd', {}, app.secret),
            ),
            h(
              'button',
              { type: 'button', onclick: () => signInAs({ kind: 'app', appKey: app.key, appSecret: app.secret }) },
              `Continue as ${app.name}`,
            ),
          );
        }, onError);
      },
    },
    field('New app name', name),
    h('button', { type: 'submit' }, 'Create app'),
  );
  root.replaceChildren(
    h('h2', {}, 'Apps'),
    form,
    created,
    list.apps.length
      ? h(
          'ul',
          { class: 'cards' },
          ...list.apps.map((a) =>
            h(
              'li',
              { class: 'card' },
              h('h3', {}, a.name),
              h('p', {}, a.key),
              h('p', {}, `created ${time(a.createdAt)}`),
            ),
          ),
        )
      : h('p', {}, 'No app yet.'),
  );
}
