import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { SignalKind, SignalReason } from './signal.ts';

/** True for `localhost` (and `*.localhost`), 127.0.0.0/8 and ::1: the only hosts plain http may target. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  let addr = ipaddr.parse(host);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'loopback';
}

/**
 * A receiver URL: absolute, `https:` (plain `http:` only to a loopback host, for local development
 * and tests), no `user:password@` (secrets belong in the signing secret, not in a URL that ends up in
 * logs), no fragment.
 */
export const WebhookUrl = z
  .string()
  .trim()
  .max(2_048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not an absolute URL' });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `scheme ${url.protocol} not allowed; use https:` });
    } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'https is required (plain http only to a loopback host)' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in the URL are not allowed; verify our signature instead' });
    if (url.hash) ctx.addIssue({ code: 'custom', message: 'a fragment (#…) is not allowed' });
  });

/** Which signals an endpoint receives; an absent list means "any". */
export const WebhookFilters = z
  .object({
    segments: z.array(z.string().min(1).max(200)).max(100).optional(),
    minScore: z.number().finite().optional(),
    kinds: z.array(SignalKind).min(1).optional(),
  })
  .strict();
export type WebhookFilters = z.infer<typeof WebhookFilters>;

/** `POST /api/webhooks`. */
export const WebhookEndpointCreate = z
  .object({
    url: WebhookUrl,
    description: z.string().max(500).optional(),
    filters: WebhookFilters.default({}),
    enabled: z.boolean().default(true),
    /** Deliver a user's signals one at a time, in order: the next waits until the previous is delivered or dead-lettered. */
    orderedPerUser: z.boolean().default(false),
  })
  .strict();
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreate>;

/** `PATCH /api/webhooks/:id`: enabling a disabled endpoint clears its failure streak and reason. */
export const WebhookEndpointUpdate = z
  .object({
    url: WebhookUrl,
    description: z.string().max(500),
    filters: WebhookFilters,
    enabled: z.boolean(),
    orderedPerUser: z.boolean(),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type WebhookEndpointUpdate = z.infer<typeof WebhookEndpointUpdate>;

/** An endpoint as the API shows it (never its secret, except once on create). */
export const WebhookEndpoint = z.object({
  id: z.string(),
  workspaceId: z.string(),
  url: z.string(),
  description: z.string().optional(),
  filters: WebhookFilters,
  enabled: z.boolean(),
  orderedPerUser: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Why the notifier turned the endpoint off (a long failure streak); cleared when re-enabled. */
  disabledReason: z.string().optional(),
  disabledAt: z.string().optional(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** The stored record: the endpoint and its Standard Webhooks signing secret (`whsec_…`). */
export const StoredWebhookEndpoint = WebhookEndpoint.extend({ secret: z.string() });
export type StoredWebhookEndpoint = z.infer<typeof StoredWebhookEndpoint>;

/**
 * The JSON body of every delivery (Standard Webhooks' `type` / `timestamp` / `data` envelope plus a
 * `version`). `version` changes only with a migration path; fields may be added within a version.
 * @example
 * { "version": 1, "type": "segment.entered", "timestamp": "2024-05-01T12:00:00.000Z",
 *   "data": { "signalId": "…", "workspaceId": "ws_1", "user": { "key": "user-1" }, "score": 42.5,
 *             "segment": "hot", "reasons": [{ "rule": "pricing-page", "kind": "behaviour", "points": 20 }],
 *             "traits": { "email": "a@b.co" }, "trigger": { "messageId": "m1", "type": "page", "name": null, "timestamp": "…" } } }
 */
export const WebhookPayload = z.object({
  version: z.literal(1),
  type: SignalKind,
  /** When the signal fired. */
  timestamp: z.string(),
  data: z.object({
    /** Stable across re-emissions of the same signal: dedupe on it (or on the `webhook-id` header). */
    signalId: z.string(),
    workspaceId: z.string(),
    /** The profile: `key` is the userId once known, else the anonymousId. */
    user: z.object({ key: z.string() }),
    score: z.number(),
    segment: z.string().optional(),
    threshold: z.string().optional(),
    direction: z.enum(['up', 'down']).optional(),
    /** The top contributing rules, largest first: the score's breakdown. */
    reasons: z.array(SignalReason),
    traits: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    trigger: z.object({ messageId: z.string(), type: z.string(), name: z.string().nullable(), timestamp: z.string() }).optional(),
  }),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

export const DeliveryStatus = z.enum(['pending', 'waiting', 'delivered', 'dead']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** One HTTP attempt of a delivery. */
export const DeliveryAttempt = z.object({
  deliveryId: z.string(),
  attempt: z.number().int(),
  at: z.string(),
  /** HTTP status, or absent when no response came (timeout, network error). */
  status: z.number().int().optional(),
  latencyMs: z.number(),
  outcome: z.enum(['delivered', 'retry', 'dead']),
  error: z.string().optional(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

/** A delivery: one signal to one endpoint (`id` is the `webhook-id`, the same on every attempt). */
export const WebhookDelivery = z.object({
  id: z.string(),
  endpointId: z.string(),
  signalId: z.string(),
  userKey: z.string(),
  status: DeliveryStatus,
  attempts: z.number().int(),
  createdAt: z.string(),
  nextAttemptAt: z.string().optional(),
  lastError: z.string().optional(),
  payload: WebhookPayload,
  history: z.array(DeliveryAttempt),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
