import { describe, expect, it } from 'vitest';
import { EventView } from '../event.ts';
import { model, page, T0, track } from '../testing.ts';
import type { ScorableEvent } from '../event.ts';
import type { CompiledModel } from '../compile.ts';

/** Ids of the award rules an event matches. */
function matched(cm: CompiledModel, e: ScorableEvent): string[] {
  const ev = new EventView(e);
  return cm
    .hooksFor(e.type, ev.name)
    .filter((h) => h.kind === 'award' && h.match.test(ev))
    .map((h) => (h.kind === 'count' ? h.counter.id : h.rule.id));
}

const cm = model(`
rules:
  - { id: any-track, when: { type: track }, points: 1 }
  - { id: viewed, when: { event: Product Viewed }, points: 1 }
  - { id: pricey, when: { event: Product Viewed, properties: { price: { gt: 100 } } }, points: 1 }
  - { id: shoes, when: { event: [Product Viewed, Product Added], properties: { category: { in: [shoes, boots] } } }, points: 1 }
  - { id: has-coupon, when: { event: Product Added, properties: { coupon: { exists: true } } }, points: 1 }
  - { id: sku-re, when: { event: Product Viewed, properties: { sku: { regex: '^ab-', flags: i } } }, points: 1 }
  - { id: nested, when: { event: Product Viewed, properties: { product.brand: Acme } }, points: 1 }
  - { id: pricing, when: { path: '/pricing*' }, points: 1 }
  - { id: named-page, when: { name: Home }, points: 1 }
`);

describe('rule matching', () => {
  it('matches by type and event name through the index', () => {
    expect(matched(cm, track('Signed Up', T0))).toEqual(['any-track']);
    expect(matched(cm, track('Product Viewed', T0))).toEqual(['any-track', 'viewed']);
  });

  it('applies property predicates, numeric strings included', () => {
    expect(matched(cm, track('Product Viewed', T0, { price: 150 }))).toContain('pricey');
    expect(matched(cm, track('Product Viewed', T0, { price: '150.5' }))).toContain('pricey');
    expect(matched(cm, track('Product Viewed', T0, { price: 100 }))).not.toContain('pricey');
    expect(matched(cm, track('Product Viewed', T0, { price: 'n/a' }))).not.toContain('pricey');
  });

  it('supports in, exists, regex and dotted keys', () => {
    expect(matched(cm, track('Product Added', T0, { category: 'boots' }))).toContain('shoes');
    expect(matched(cm, track('Product Added', T0, { coupon: 'X' }))).toContain('has-coupon');
    expect(matched(cm, track('Product Added', T0, { coupon: null }))).not.toContain('has-coupon');
    expect(matched(cm, track('Product Viewed', T0, { sku: 'AB-12' }))).toContain('sku-re');
    expect(matched(cm, track('Product Viewed', T0, { sku: 12 }))).not.toContain('sku-re');
    expect(matched(cm, track('Product Viewed', T0, { product: { brand: 'Acme' } }))).toContain('nested');
  });

  it('matches page paths (query stripped, URL fallback) and page names', () => {
    expect(matched(cm, page('/pricing/?ref=nav', T0))).toEqual(['pricing']);
    expect(matched(cm, page('/about', T0))).toEqual([]);
    const byUrl: ScorableEvent = { messageId: 'u', type: 'page', timestamp: new Date(T0).toISOString(), event: { properties: { url: 'https://x.io/pricing/teams' } } };
    expect(matched(cm, byUrl)).toEqual(['pricing']);
    const named: ScorableEvent = { messageId: 'n', type: 'page', timestamp: new Date(T0).toISOString(), event: { name: 'Home', properties: {} } };
    expect(matched(cm, named)).toEqual(['named-page']);
  });
});
