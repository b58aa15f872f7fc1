/**
 * The bundle's entry: takes over from the loader snippet's stub (`window.warmline`), replaying the
 * calls it queued, in order, with the time each was made.
 */
import type { QueuedCall } from '../methods.ts';
import { Tracker } from './tracker.ts';
import type { WarmlineApi, WarmlineOptions } from './types.ts';

interface Stub extends Array<QueuedCall> {
  writeKey?: string;
  options?: WarmlineOptions;
  loaded?: boolean;
}

declare global {
  interface Window {
    warmline?: Stub | WarmlineApi;
  }
}

const stub = window.warmline;
if (Array.isArray(stub) && !stub.loaded) {
  if (!stub.writeKey || !stub.options?.host) {
    console.warn('warmline: the snippet gave no write key or host; not tracking');
  } else {
    const tracker = new Tracker(stub.writeKey, stub.options);
    window.warmline = tracker.api;
    tracker.start();
    for (const [method, at, ...args] of stub.splice(0)) tracker.replay(method, at, args);
  }
}
