import { createHash, randomBytes } from 'node:crypto';
import type { Signal } from '../../schema/signal.ts';
import type { StoredWebhookEndpoint, WebhookFilters, WebhookPayload } from '../../schema/webhook.ts';

/** A new endpoint id. */
export const newEndpointId = () => `ep_${randomBytes(10).toString('hex')}`;

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The delivery of a signal to an endpoint: derived from both, so a signal read twice (a crash before
 * XACK, a re-emission) maps to the same delivery, and receivers see one `webhook-id` across attempts.
 */
export function deliveryId(signalId: string, endpointId: string): string {
  return `msg_${createHash('sha256').update(`${signalId}\n${endpointId}`).digest('hex').slice(0, 32)}`;
}

/** Whether an endpoint's filters let a signal through (absent lists match anything). */
export function matches(filters: WebhookFilters, signal: Signal): boolean {
  if (filters.kinds && !filters.kinds.includes(signal.kind)) return false;
  if (filters.minScore !== undefined && signal.score < filters.minScore) return false;
  if (filters.segments && !(signal.segment !== undefined && filters.segments.includes(signal.segment))) return false;
  return true;
}

/**
 * Endpoints a signal goes to: same workspace, enabled, filters pass, and created before the signal
 * was written (`writtenAtMs`, its stream id's time) — a new endpoint does not receive history.
 */
export function targets(endpoints: readonly StoredWebhookEndpoint[], signal: Signal, writtenAtMs: number): StoredWebhookEndpoint[] {
  return endpoints.filter(
    (e) => e.enabled && e.workspaceId === signal.workspaceId && Date.parse(e.createdAt) <= writtenAtMs && matches(e.filters, signal),
  );
}

/** The versioned body receivers get for a signal. */
export function payloadOf(signal: Signal): WebhookPayload {
  return {
    version: 1,
    type: signal.kind,
    timestamp: signal.at,
    data: {
      signalId: signal.id,
      workspaceId: signal.workspaceId,
      user: { key: signal.userKey },
      score: signal.score,
      ...(signal.segment !== undefined ? { segment: signal.segment } : {}),
      ...(signal.threshold !== undefined ? { threshold: signal.threshold } : {}),
      ...(signal.direction !== undefined ? { direction: signal.direction } : {}),
      reasons: signal.reasons,
      traits: signal.traits,
      ...(signal.trigger ? { trigger: signal.trigger } : {}),
    },
  };
}
