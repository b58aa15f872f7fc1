const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Width of one id token in {@link IdRing} strings. */
export const TOKEN = 8;

/**
 * A 48-bit string hash (two multiplicative 32-bit lanes) as 8 base64url characters. Recent
 * messageIds (up to 512 characters each) are kept in a user's state as these tokens, concatenated
 * into one string: small, and one JSON string parses far faster than an array of 128. With 128
 * kept, a false "duplicate" has odds around 1 in 2·10^12 per event.
 */
export function idToken(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const a = h1 >>> 0;
  const b = (h2 >>> 0) & 0xffff;
  return (
    ALPHABET[a & 63]! + ALPHABET[(a >>> 6) & 63]! + ALPHABET[(a >>> 12) & 63]! + ALPHABET[(a >>> 18) & 63]! +
    ALPHABET[(a >>> 24) & 63]! + ALPHABET[((a >>> 30) | (b << 2)) & 63]! + ALPHABET[(b >>> 4) & 63]! + ALPHABET[(b >>> 10) & 63]!
  );
}

/** Whether a ring (concatenated tokens) holds `token` at a token boundary. */
export function ringHas(ring: string, token: string): boolean {
  let i = ring.indexOf(token);
  while (i >= 0 && i % TOKEN !== 0) i = ring.indexOf(token, i + 1);
  return i >= 0;
}

/** Appends `token`, keeping the last `max` tokens. */
export function ringAdd(ring: string, token: string, max: number): string {
  const out = ring + token;
  return out.length > max * TOKEN ? out.slice(out.length - max * TOKEN) : out;
}

/** Tokens of a ring, oldest first. */
export function ringTokens(ring: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + TOKEN <= ring.length; i += TOKEN) out.push(ring.slice(i, i + TOKEN));
  return out;
}

