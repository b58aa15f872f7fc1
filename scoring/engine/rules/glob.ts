/**
 * Compiles a page-path pattern: `*` matches any characters (slashes included), `?` one character,
 * everything else literally. `/pricing*` matches `/pricing`, `/pricing/` and `/pricing/teams`.
 */
export function compileGlob(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '*') src += src.endsWith('.*') ? '' : '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** `/Pricing/?x=1#a` → `/Pricing`: no query, no fragment, no trailing slash (except the root). */
export function normalisePath(path: string): string {
  let end = path.length;
  const q = path.search(/[?#]/);
  if (q >= 0) end = q;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === path.length ? path : path.slice(0, end);
}
