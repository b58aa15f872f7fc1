import type { Consent } from './consent.ts';
import type { IntentHelpers } from './intent.ts';

export type Properties = Record<string, unknown>;

/** Options a site sets in its snippet. Everything but `host` is optional. */
export interface WarmlineOptions {
  /** The collector's origin, e.g. `https://collect.example.com`. Events go to `<host>/v1/…`, nowhere else. */
  host: string;
  /**
   * `implied` (default): events flow until `consent.deny()`. `required`: nothing is stored or sent
   * until `consent.grant()`; calls made before are held in memory (at most 100) and sent on grant.
   */
  consent?: 'implied' | 'required';
  /** Treat a Global Privacy Control signal as a denial until the visitor grants explicitly (default true). */
  honorGlobalPrivacyControl?: boolean;
  /** Treat Do-Not-Track as a denial until the visitor grants explicitly (default false: DNT is deprecated). */
  honorDoNotTrack?: boolean;
  /**
   * Domain of the identity and consent cookies, e.g. `.example.com` to share the anonymousId between
   * `www.example.com` and `app.example.com`. Default: the top-most domain the browser lets us set.
   */
  cookieDomain?: string;
  /** Send a page view at load and on every history-API route change (default true). */
  trackPages?: boolean;
}

export type ConsentStatus = 'granted' | 'denied' | 'pending' | 'implied';

/** The `window.warmline` object once the bundle has loaded. */
export interface WarmlineApi extends IntentHelpers {
  page(name?: string, properties?: Properties): void;
  track(event: string, properties?: Properties): void;
  identify(userId: string, traits?: Properties): void;
  group(groupId: string, traits?: Properties): void;
  alias(userId: string, previousId?: string): void;
  /** Forget the user (ids, traits, group) — call on logout. */
  reset(): void;
  /** Runs `fn` once the tracker can send (never, while consent is pending or denied). */
  ready(fn: () => void): void;
  /** The anonymousId, or null before consent. */
  anonymousId(): string | null;
  consent: Consent;
  /** True once the bundle has replaced the snippet's stub. */
  loaded: true;
}
