/**
 * The signed-in secret key, kept in sessionStorage (per tab, gone when the tab closes) and sent as
 * `Authorization: Bearer` (or `?key=` on the feed socket). A 401 signs out with a message the
 * sign-in form shows.
 */
const KEY = 'warmline.secretKey';
const NOTICE = 'warmline.signInNotice';

type Listener = () => void;
const listeners = new Set<Listener>();

export function secretKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.removeItem(NOTICE);
  listeners.forEach((l) => l());
}

/** Forgets the key; `notice` is shown on the sign-in form (e.g. why the server refused the key). */
export function signOut(notice?: string): void {
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE, notice);
  else sessionStorage.removeItem(NOTICE);
  listeners.forEach((l) => l());
}

export function signInNotice(): string | null {
  return sessionStorage.getItem(NOTICE);
}

/** Calls `listener` on sign-in and sign-out; returns the unsubscribe function. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
