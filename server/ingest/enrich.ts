import ipaddr from 'ipaddr.js';
import { UAParser } from 'ua-parser-js';
import { isbot } from 'isbot';
import type { UserAgentInfo } from '../../schema/stored-event.ts';

/**
 * Segment's skew correction: the client's clock may be wrong, but the gap between when it says the
 * event happened and when it says it sent it is right. `timestamp = receivedAt - (sentAt - originalTimestamp)`.
 * Without `sentAt` the client's own time is kept; without either, the server's.
 */
export function correctedTimestamp(receivedAt: number, sentAt: number | undefined, original: number | undefined): number {
  if (original === undefined) return receivedAt;
  if (sentAt === undefined) return original;
  return receivedAt - (sentAt - original);
}

/** Milliseconds since the epoch of an ISO-8601 string; strings without an offset are read as UTC. */
export function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hasZone = /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value) || !value.includes('T');
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Drops the host part of an address: IPv4 keeps its /24, IPv6 its /48 (as Google Analytics and Matomo do).
 * Returns '' for anything that is not an IP address.
 */
export function anonymizeIp(ip: string): string {
  if (!ipaddr.isValid(ip)) return '';
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const bytes = addr.toByteArray();
  const keep = addr.kind() === 'ipv4' ? 3 : 6;
  for (let i = keep; i < bytes.length; i++) bytes[i] = 0;
  return ipaddr.fromByteArray(bytes).toString();
}

/** Normalises an address without anonymising it ('' when invalid). */
export function normalizeIp(ip: string): string {
  if (!ipaddr.isValid(ip)) return '';
  const addr = ipaddr.parse(ip);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address().toString()
    : addr.toString();
}

/**
 * The client's address: the socket peer, or with `trustedProxies` hops in front of us, the
 * X-Forwarded-For entry those proxies appended (never an entry the client could have forged).
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | undefined, trustedProxies: number): string {
  if (trustedProxies > 0 && forwardedFor) {
    const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
    const candidate = hops[hops.length - trustedProxies];
    if (candidate !== undefined) return candidate;
  }
  return socketAddress ?? '';
}

const UNKNOWN_UA: UserAgentInfo = { browser: '', browserVersion: '', os: '', osVersion: '', deviceType: '', isBot: false };
const UNKNOWN_UA_JSON = JSON.stringify(UNKNOWN_UA);

/** Browsers (and the crawlers that run pages' JavaScript) announce themselves as Mozilla-compatible. */
const BROWSER_LIKE = /^Mozilla\//;

/**
 * Parses user agents with ua-parser-js and flags bots with isbot. Only browser-like agents can be
 * bots: any other agent is an HTTP client relaying events server-side (analytics-node, curl, a
 * backend), which isbot would flag and the scorer would then ignore; it is a `server` device instead.
 * A request (or a server SDK's batch)
 * repeats a handful of agents, so results — and their JSON, spliced into every stored line — are
 * memoised in a small bounded cache.
 */
export class UserAgentParser {
  private readonly cache = new Map<string, { info: UserAgentInfo; json: string }>();
  constructor(private readonly capacity = 2_000) {}

  parse(ua: string): UserAgentInfo {
    return ua ? this.entry(ua).info : UNKNOWN_UA;
  }

  /** `JSON.stringify(parse(ua))`, computed once per distinct agent. */
  json(ua: string): string {
    return ua ? this.entry(ua).json : UNKNOWN_UA_JSON;
  }

  private entry(ua: string): { info: UserAgentInfo; json: string } {
    const hit = this.cache.get(ua);
    if (hit) return hit;
    const r = new UAParser(ua).getResult();
    const browser = BROWSER_LIKE.test(ua);
    const bot = browser && isbot(ua);
    const info: UserAgentInfo = {
      browser: r.browser.name ?? '',
      browserVersion: r.browser.version ?? '',
      os: r.os.name ?? '',
      osVersion: r.os.version ?? '',
      deviceType: r.device.type ?? (bot ? 'bot' : browser ? 'desktop' : 'server'),
      isBot: bot,
    };
    const entry = { info, json: JSON.stringify(info) };
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(ua, entry);
    return entry;
  }
}
