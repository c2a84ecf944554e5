import { ApiError } from './api.js';
import { events } from './app-views.js';
import { apps } from './apps.js';
import { callList, callPage } from './calls.js';
import { h } from './dom.js';
import { sandboxPhones } from './phones.js';
import { providers } from './providers.js';
import { type AppSession, clearSession, loadSession, saveSession } from './session.js';
import { signIn } from './signin.js';
import { testRing, userDevices } from './users.js';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const status = document.getElementById('status')!;
const phonesSlot = document.getElementById('phones')!;

/**
 * Shown in the live region, so a screen reader hears it too: the API's message, which says what to fix. A
 * refusal of the credentials kept ends the session (the page goes back to sign-in, the message stays).
 */
function showError(e: unknown): void {
  if (e instanceof ApiError && e.status === 401 && loadSession()) {
    clearSession();
    route();
  }
  const message = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
  status.replaceChildren(h('span', { class: 'error', id: 'error' }, message));
}

/** What each principal can open: an app sees its own calls and settings, the operator the apps. */
const APP_SECTIONS: Array<[string, string]> = [
  ['#/calls', 'Calls'],
  ['#/ring', 'Test ring'],
  ['#/users', 'Users and devices'],
  ['#/providers', 'Providers'],
  ['#/events', 'Events'],
];
const ADMIN_SECTIONS: Array<[string, string]> = [['#/apps', 'Apps']];

/** Opens `hash`, whether or not it is already the current one. */
function go(hash: string): void {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** After sign-in: the first section this principal has. */
function home(): void {
  go(loadSession()?.kind === 'admin' ? '#/apps' : '#/calls');
}

/** The operator continues as an app it just created. */
function signInAs(app: AppSession): void {
  saveSession(app);
  go('#/calls');
}

function drawNav(sections: Array<[string, string]>, current: string): void {
  nav.replaceChildren(
    ...sections.map(([href, label]) =>
      h('a', { href, ...(href === `#/${current}` ? { 'aria-current': 'page' } : {}) }, label),
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          clearSession();
          route();
        },
      },
      'Sign out',
    ),
  );
}

let stop: (() => void) | undefined;
/** The sandbox phones stay up while the pages that show them follow one another, so they do not flicker. */
let stopPhones: (() => void) | undefined;

function showPhones(wanted: boolean): void {
  if (wanted && !stopPhones) stopPhones = sandboxPhones(phonesSlot, showError);
  if (!wanted && stopPhones) {
    stopPhones();
    stopPhones = undefined;
  }
}

/** Renders the view the hash names; the hash holds only ids and filters, never a credential. */
function route(): void {
  stop?.();
  stop = undefined;
  status.replaceChildren();
  const session = loadSession();
  nav.hidden = !session;
  const [path = '', query = ''] = location.hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  showPhones(session?.kind === 'app' && ['calls', 'ring'].includes(parts[0] ?? ''));
  if (!session) {
    signIn(main, home, showError);
    return;
  }
  const fail = (p: Promise<void>) => p.catch(showError);
  if (session.kind === 'admin') {
    drawNav(ADMIN_SECTIONS, 'apps');
    if (parts[0] === 'apps') fail(apps(session, main, signInAs, showError));
    else location.hash = '#/apps';
    return;
  }
  drawNav(APP_SECTIONS, parts[0] ?? '');
  switch (parts[0]) {
    case 'calls':
      if (parts[1]) stop = callPage(session, main, parts[1], showError);
      else stop = callList(session, main, new URLSearchParams(query), showError);
      break;
    case 'ring':
      testRing(session, main, showError);
      break;
    case 'users':
      fail(userDevices(session, main, parts[1] ?? '', showError));
      break;
    case 'providers':
      fail(providers(session, main, showError));
      break;
    case 'events':
      fail(events(session, main, showError));
      break;
    default:
      location.hash = '#/calls';
  }
}

window.addEventListener('hashchange', route);
route();
