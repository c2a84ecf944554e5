import { api } from './api.js';
import { field, h } from './dom.js';
import { type AppSession, type Session, saveSession } from './session.js';

/**
 * Signs in with an app's key and secret or with the admin token, each checked against the API before it is
 * kept (a route that needs exactly these credentials), so a typo shows at once as the gateway's own error.
 */
export function signIn(root: HTMLElement, done: () => void, onError: (e: unknown) => void): void {
  const use = (session: Session) =>
    api(session, 'GET', session.kind === 'app' ? '/v1/calls?limit=1' : '/v1/apps').then(() => {
      saveSession(session);
      done();
    }, onError);
  const appKey = h('input', { name: 'appKey', required: true, autocomplete: 'username', spellcheck: 'false' });
  const appSecret = h('input', {
    name: 'appSecret',
    type: 'password',
    required: true,
    autocomplete: 'current-password',
  });
  const adminToken = h('input', { name: 'adminToken', type: 'password', required: true, autocomplete: 'off' });
  const submit = (e: Event, session: () => Session) => {
    e.preventDefault();
    use(session());
  };
  root.replaceChildren(
    h('h2', {}, 'Sign in'),
    h('p', {}, 'The console uses the public API with these credentials, as your backend or operator does.'),
    h(
      'form',
      {
        class: 'signin',
        'aria-label': 'As an app',
        onsubmit: (e: Event) =>
          submit(e, () => ({ kind: 'app', appKey: appKey.value.trim(), appSecret: appSecret.value })),
      },
      field('App key', appKey),
      field('App secret', appSecret),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
    h(
      'form',
      {
        class: 'signin',
        'aria-label': 'As the operator',
        onsubmit: (e: Event) => submit(e, () => ({ kind: 'admin', adminToken: adminToken.value.trim() })),
      },
      field('Admin token', adminToken),
      h('button', { type: 'submit' }, 'Sign in as operator'),
    ),
  );
  appKey.focus();
  offerSandbox(root, use);
}

/**
 * In the sandbox, on this machine, the gateway hands the sandbox app to the page on request (it is in the
 * banner already), so the page source holds no secret; elsewhere it answers 204 and no button shows.
 */
function offerSandbox(root: HTMLElement, use: (s: AppSession) => void): void {
  fetch('/console/sandbox-app', { headers: { accept: 'application/json' } })
    .then((r) => (r.status === 200 ? (r.json() as Promise<{ appKey: string; appSecret: string }>) : undefined))
    .then((sandbox) => {
      if (!sandbox) return;
      root.append(
        h('h3', {}, 'Sandbox'),
        h('p', {}, 'The sandbox runs on this gateway: its app has bob with four emulated devices.'),
        h('button', { type: 'button', onclick: () => use({ kind: 'app', ...sandbox }) }, 'Use the sandbox app'),
      );
    })
    // Not offered is not an error: the forms above still sign in.
    .catch(() => undefined);
}
