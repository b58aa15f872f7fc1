/**
 * The tracker methods the loader snippet stubs, so calls made before the bundle arrives are queued
 * and replayed in order. Shared by the snippet (server side) and the bundle (browser side).
 */
export const QUEUED_METHODS = [
  'page',
  'track',
  'identify',
  'group',
  'alias',
  'reset',
  'ready',
  'productViewed',
  'productAdded',
  'checkoutStarted',
  'orderCompleted',
  'signedUp',
  'trialStarted',
  'demoRequested',
  'formSubmitted',
  'surveyAnswered',
] as const;
export type QueuedMethod = (typeof QUEUED_METHODS)[number];

/** Consent calls, stubbed on `warmline.consent` and queued as `consent.grant` / `consent.deny`. */
export const QUEUED_CONSENT = ['grant', 'deny'] as const;

/** A queued call as the snippet stores it: method, time of the call (ms), then the arguments. */
export type QueuedCall = [method: string, at: number, ...args: unknown[]];

/** Path of the bundle's stable entry under the collector (the snippet loads it). */
export const ENTRY_PATH = '/tracker/warmline.js';

/** localStorage key prefix (+ write key) of a snippet queue saved when a page went before the bundle ran. */
export const STUB_STORAGE_PREFIX = 'wl_q:';

/** localStorage key prefix (+ write key) of calls not yet handed over to delivery when a page went. */
export const JOURNAL_STORAGE_PREFIX = 'wl_j:';
