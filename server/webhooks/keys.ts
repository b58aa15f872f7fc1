/**
 * Redis keys of webhooks. Everything the notifier touches for one endpoint while delivering (the
 * record, its due queue, deliveries, locks, attempt log, health) carries the endpoint's hash tag
 * `{wh:<id>}`, so each Lua step stays in one cluster slot and endpoints spread over the cluster.
 * The workspace index and the list of all endpoints are plain sets used by the API.
 */
export function webhookKeys(prefix: string) {
  const tag = (ep: string) => `${prefix}:{wh:${ep}}`;
  return {
    /** Every endpoint id (the notifier's directory). */
    all: () => `${prefix}:wh:endpoints`,
    /** Bumped on every create/update/delete, so notifiers reload their directory at once. */
    version: () => `${prefix}:wh:version`,
    /** Endpoint ids of one workspace. */
    workspace: (ws: string) => `${prefix}:wh:ws:${ws}`,
    /** The endpoint record (JSON of StoredWebhookEndpoint). */
    endpoint: (ep: string) => `${tag(ep)}:ep`,
    /** Failure streak: `fails`, `since` (ms of the streak's first failure). */
    health: (ep: string) => `${tag(ep)}:health`,
    /** Deliveries to attempt: member delivery id, score = when (ms). A claimed one is pushed out by its lease. */
    due: (ep: string) => `${tag(ep)}:due`,
    /** Every delivery kept, score = created (ms): listing and "replay since". */
    index: (ep: string) => `${tag(ep)}:idx`,
    /** One delivery (hash). */
    delivery: (ep: string, id: string) => `${tag(ep)}:d:${id}`,
    /** Lock of one delivery while an attempt is in flight: `SET NX PX`, compare-and-delete. */
    lock: (ep: string, id: string) => `${tag(ep)}:lock:${id}`,
    /** Ordered endpoints: the delivery each user's queue waits on (user → delivery id). */
    heads: (ep: string) => `${tag(ep)}:heads`,
    /** Ordered endpoints: deliveries of one user waiting behind its head, in signal order. */
    userQueue: (ep: string, userKey: string) => `${tag(ep)}:uq:${userKey}`,
    /** Attempt log (stream): one entry per HTTP attempt. */
    attempts: (ep: string) => `${tag(ep)}:log`,
    /** Prefixes for the compare-and-delete scripts that build keys from ids. */
    tag,
  };
}
export type WebhookKeys = ReturnType<typeof webhookKeys>;
