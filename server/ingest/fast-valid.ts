import { isJsonObject, type SegmentEvent } from '../../schema/events.ts';

/**
 * Time strings accepted without zod: a subset of what `SegmentEvent`'s `Time` accepts (UTC, days
 * 01-28 so every month has them); anything else goes through zod.
 */
const PLAIN_UTC_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$/;

const text512 = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 512;
const id = (v: unknown) => text512(v) || (typeof v === 'number' && Number.isFinite(v));
const optionalId = (v: unknown) => v === undefined || v === null || id(v);
const optionalName = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.length <= 512);
const bag = (v: unknown) => v === undefined || isJsonObject(v);
const time = (v: unknown) => v === undefined || (typeof v === 'string' && PLAIN_UTC_TIME.test(v));

/**
 * A conservative stand-in for `SegmentEvent.safeParse(item).success`: true only for events the
 * schema accepts (never the other way round), which is nearly all of them, at a fraction of zod's
 * cost. When false, the caller runs zod, which decides and names the problem.
 */
export function surelyValid(item: unknown): item is SegmentEvent {
  if (!isJsonObject(item)) return false;
  const e = item;
  if (
    !(e.messageId === undefined || text512(e.messageId)) ||
    !optionalId(e.userId) ||
    !optionalId(e.anonymousId) ||
    (e.userId == null && e.anonymousId == null) ||
    !time(e.timestamp) ||
    !time(e.originalTimestamp) ||
    !time(e.sentAt) ||
    !bag(e.context) ||
    !bag(e.integrations) ||
    !(e.writeKey === undefined || typeof e.writeKey === 'string')
  ) {
    return false;
  }
  switch (e.type) {
    case 'track':
      return text512(e.event) && bag(e.properties);
    case 'page':
      return optionalName(e.name) && optionalName(e.category) && bag(e.properties);
    case 'screen':
      return optionalName(e.name) && bag(e.properties);
    case 'identify':
      return bag(e.traits);
    case 'group':
      return id(e.groupId) && bag(e.traits);
    case 'alias':
      return id(e.previousId) && id(e.userId);
    default:
      return false;
  }
}
