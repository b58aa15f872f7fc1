import { describe, expect, it } from 'vitest';
import { compileGlob, normalisePath } from './glob.ts';

describe('compileGlob', () => {
  it('matches a prefix with a trailing star, slashes included', () => {
    const re = compileGlob('/pricing*');
    expect(['/pricing', '/pricing-teams', '/pricing/enterprise'].every((p) => re.test(p))).toBe(true);
    expect(re.test('/about/pricing')).toBe(false);
  });
  it('escapes regex characters and supports ?', () => {
    expect(compileGlob('/a.b').test('/axb')).toBe(false);
    expect(compileGlob('/v?/docs').test('/v2/docs')).toBe(true);
    expect(compileGlob('*careers*').test('/jobs/careers/eng')).toBe(true);
  });
  it('normalises paths', () => {
    expect(normalisePath('/pricing/?utm=x')).toBe('/pricing');
    expect(normalisePath('/')).toBe('/');
    expect(normalisePath('/a#b')).toBe('/a');
  });
});
