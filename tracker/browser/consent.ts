import type { ConsentStatus, WarmlineOptions } from './types.ts';

const COOKIE = 'wl_consent';
const YEAR_S = 365 * 24 * 3600;

/** The visitor's consent: a cookie holding `granted` or `denied`, shared across subdomains with `cookieDomain`. */
export interface Consent {
  /** Record consent and start sending (including the calls held while pending). */
  grant(): void;
  /** Record refusal (opt-out): stop sending, forget the user's ids on this device, drop held calls. */
  deny(): void;
  status(): ConsentStatus;
}

function readCookie(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE) return v;
  }
  return undefined;
}

function writeCookie(value: 'granted' | 'denied', domain: string | undefined): void {
  const secure = location.protocol === 'https:' ? ';secure' : '';
  const dom = domain ? `;domain=${domain}` : '';
  document.cookie = `${COOKIE}=${value};path=/;max-age=${YEAR_S};samesite=lax${dom}${secure}`;
}

/** A browser privacy signal the site chose to honour (GPC, DNT). */
function privacySignal(options: WarmlineOptions): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  if ((options.honorGlobalPrivacyControl ?? true) && nav.globalPrivacyControl === true) return true;
  if (options.honorDoNotTrack && (nav.doNotTrack === '1' || (window as { doNotTrack?: string }).doNotTrack === '1')) return true;
  return false;
}

/**
 * Consent state: an explicit decision (cookie) wins; else a honoured privacy signal denies; else the
 * site's mode decides (`required` → pending, `implied` → send).
 */
export function consentStatus(options: WarmlineOptions): ConsentStatus {
  const saved = readCookie();
  if (saved === 'granted' || saved === 'denied') return saved;
  if (privacySignal(options)) return 'denied';
  return options.consent === 'required' ? 'pending' : 'implied';
}

export function recordConsent(value: 'granted' | 'denied', options: WarmlineOptions): void {
  writeCookie(value, options.cookieDomain);
}
