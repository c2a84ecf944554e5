/**
 * Who is signed in: an app (HTTP Basic key:secret, for everything an app backend sees) or the operator (the
 * admin bearer token, for the apps themselves). In sessionStorage, so it ends with the tab and is never in
 * a URL.
 */
export type Session = AppSession | { kind: 'admin'; adminToken: string };
export interface AppSession {
  kind: 'app';
  appKey: string;
  appSecret: string;
}

const KEY = 'callpush.console.session';

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.kind === 'app' && typeof s.appKey === 'string' && typeof s.appSecret === 'string') return s;
    if (s.kind === 'admin' && typeof s.adminToken === 'string') return s;
    return undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The Authorization header the API expects of this principal. */
export function authorization(s: Session): string {
  return s.kind === 'app' ? `Basic ${btoa(`${s.appKey}:${s.appSecret}`)}` : `Bearer ${s.adminToken}`;
}
