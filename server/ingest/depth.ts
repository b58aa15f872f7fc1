/**
 * True when `value` nests objects/arrays deeper than `limit` (the value itself is level 1).
 * Walks the parsed value, descending only into objects and arrays and stopping at the first branch
 * past the limit, so a typical event (a handful of small bags) costs a few hundred nanoseconds —
 * far less than scanning its JSON text.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  return typeof value === 'object' && value !== null && deeper(value, limit);
}

/** `budget`: the levels still allowed, counting `node`'s own. */
function deeper(node: object, budget: number): boolean {
  if (budget <= 0) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'object' && child !== null && deeper(child, budget - 1)) return true;
    }
    return false;
  }
  // Parsed JSON objects have no enumerable inherited keys, so for-in sees exactly their own.
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && deeper(child, budget - 1)) return true;
  }
  return false;
}
