import { ApiError, api, type Credential, type CredentialHealth as Health } from './api.js';
import { facts } from './app-views.js';
import { field, h, time } from './dom.js';
import type { AppSession as Session } from './session.js';

/** A credential field the form asks for: `json` is an object pasted whole (a service-account file). */
interface FieldSpec {
  name: string;
  label: string;
  control?: 'secret' | 'multiline' | 'json' | { choices: string[] };
  optional?: boolean;
}

const ENDPOINT: FieldSpec = { name: 'endpoint', label: 'Endpoint override (optional)', optional: true };

/** The fields of each credential type (docs/providers.md); the API checks them and names the one at fault. */
const FIELDS: Record<string, FieldSpec[]> = {
  fcm: [{ name: 'serviceAccount', label: 'Service account (the JSON file)', control: 'json' }, ENDPOINT],
  hms: [
    { name: 'appId', label: 'App id' },
    { name: 'clientSecret', label: 'Client secret', control: 'secret' },
    ENDPOINT,
  ],
  apns: [
    { name: 'teamId', label: 'Team id' },
    { name: 'keyId', label: 'Key id' },
    { name: 'privateKey', label: 'Private key (.p8)', control: 'multiline' },
    { name: 'topic', label: 'Topic (bundle id)' },
    { name: 'environment', label: 'Environment', control: { choices: ['production', 'sandbox'] } },
    ENDPOINT,
  ],
  webpush: [
    { name: 'vapidPublicKey', label: 'VAPID public key' },
    { name: 'vapidPrivateKey', label: 'VAPID private key', control: 'secret' },
    { name: 'subject', label: 'Subject (mailto: or https:)' },
    ENDPOINT,
  ],
};

function healthFacts(health: Health | undefined): HTMLElement {
  if (!health) return h('p', {}, 'No health yet.');
  const e = health.lastError;
  const cache = health.tokenCache;
  return h(
    'dl',
    { class: 'health' },
    h('dt', {}, 'Last hour'),
    h('dd', {}, `${health.deliveries} deliveries, ${health.failures} failed`),
    h('dt', {}, 'Last error'),
    h('dd', {}, e ? `${e.reason}${e.detail ? `: ${e.detail}` : ''} (${time(e.at)})` : 'none'),
    h('dt', {}, 'Token cache'),
    h(
      'dd',
      {},
      !cache
        ? 'no client on this node yet, or no token to cache'
        : cache.cached
          ? `cached since ${time(cache.fetchedAt)}, ${cache.connections} connection${cache.connections === 1 ? '' : 's'}`
          : `no token cached, ${cache.connections} connection${cache.connections === 1 ? '' : 's'}`,
    ),
  );
}

/**
 * The app's provider credentials: public fields and fingerprints (the API never returns a secret), each with
 * its health over the last hour; and a form to add or replace one, which shows the API's refusal next to the
 * field it names.
 */
export async function providers(session: Session, root: HTMLElement, onError: (e: unknown) => void): Promise<void> {
  const base = `/v1/apps/${encodeURIComponent(session.appKey)}`;
  const [list, health] = await Promise.all([
    api<{ providers: Credential[] }>(session, 'GET', `${base}/providers`),
    api<{ providers: Health[] }>(session, 'GET', `${base}/provider-health`),
  ]);
  const cards = list.providers.map((p) => {
    const hp = health.providers.find((x) => x.name === p.name);
    return h(
      'li',
      { class: 'card', 'data-provider': p.name },
      h('h3', {}, p.name, ' ', h('span', { class: 'facts' }, p.type)),
      hp?.misconfigured
        ? h('p', { class: 'error' }, 'Misconfigured: the provider refused this credential since it was stored.')
        : null,
      healthFacts(hp),
      h('details', {}, h('summary', {}, 'Public fields and fingerprints'), facts(p.config)),
    );
  });
  const reload = () => providers(session, root, onError).catch(onError);
  root.replaceChildren(
    h('h2', {}, 'Providers'),
    cards.length ? h('ul', { class: 'cards' }, ...cards) : h('p', {}, 'No provider credential yet.'),
    credentialForm(session, base, reload),
  );
}

function credentialForm(session: Session, base: string, done: () => void): HTMLElement {
  const name = h('input', { name: 'name', required: true, maxlength: '128', autocomplete: 'off', spellcheck: 'false' });
  const type = h('select', { name: 'type' }, ...Object.keys(FIELDS).map((t) => h('option', { value: t }, t)));
  const fields = h('div', { class: 'credential-fields' });
  const outcome = h('p', { role: 'status' });
  let controls = new Map<
    string,
    { control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement; spec: FieldSpec; error: HTMLElement }
  >();
  const drawFields = () => {
    controls = new Map();
    fields.replaceChildren(
      ...FIELDS[type.value]!.map((spec) => {
        const id = `credential-${spec.name}-error`;
        const attrs = {
          name: spec.name,
          'aria-describedby': id,
          autocomplete: 'off',
          spellcheck: 'false',
          required: !spec.optional,
        };
        const c = spec.control;
        const control =
          typeof c === 'object'
            ? h('select', attrs, ...c.choices.map((v) => h('option', { value: v }, v)))
            : c === 'json' || c === 'multiline'
              ? h('textarea', { ...attrs, rows: '4' })
              : h('input', { ...attrs, ...(c === 'secret' ? { type: 'password' } : {}) });
        const error = h('span', { class: 'field-error', id });
        controls.set(spec.name, { control, spec, error });
        return h('div', { class: 'field-row' }, field(spec.label, control), error);
      }),
    );
  };
  type.addEventListener('change', drawFields);
  drawFields();
  const showError = (fieldName: string | undefined, message: string) => {
    const target = fieldName && controls.get(fieldName);
    if (target) {
      target.control.setAttribute('aria-invalid', 'true');
      target.error.textContent = message;
      target.control.focus();
    } else {
      outcome.replaceChildren(h('span', { class: 'error' }, message));
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    outcome.replaceChildren();
    for (const { control, error } of controls.values()) {
      control.removeAttribute('aria-invalid');
      error.textContent = '';
    }
    const body: Record<string, unknown> = { type: type.value };
    for (const [key, { control, spec }] of controls) {
      const value = control.value.trim();
      if (!value && spec.optional) continue;
      if (spec.control === 'json') {
        try {
          body[key] = JSON.parse(value);
        } catch {
          return showError(key, 'This is not JSON: paste the whole file.');
        }
      } else body[key] = value;
    }
    api(session, 'PUT', `${base}/providers/${encodeURIComponent(name.value.trim())}`, body).then(
      () => done(),
      (err: unknown) => {
        if (!(err instanceof ApiError)) return showError(undefined, String(err));
        // `serviceAccount.private_key` goes next to the service-account field; a field the form lacks, below it.
        showError(err.field?.split(/[.[/]/).find(Boolean), `${err.message} (${err.code})`);
      },
    );
  };
  return h(
    'section',
    { 'aria-labelledby': 'credential-form-title' },
    h('h3', { id: 'credential-form-title' }, 'Add or replace a credential'),
    h('p', {}, 'The secret goes to the gateway, encrypted at rest; it is never shown again, only its fingerprint.'),
    h(
      'form',
      { class: 'credential-form', onsubmit: submit },
      field('Credential name', name),
      field('Type', type),
      fields,
      h('button', { type: 'submit' }, 'Save credential'),
      outcome,
    ),
  );
}
