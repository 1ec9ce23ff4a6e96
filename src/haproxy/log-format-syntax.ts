/**
 * Tokenizer for HAProxy log-format strings (configuration manual, section 8.2.6): `%alias`,
 * `%[sample,conv]`, `%{+Q,-X}alias` flags, `%(name)` item names, `%o` flag propagation, `%%`,
 * literal text, and runs of spaces (separators, merged by HAProxy).
 */

export type FormatItem =
  | { kind: 'text'; text: string }
  | { kind: 'sep' }
  | { kind: 'alias'; alias: string; name: string | null; quote: boolean; hex: boolean }
  | { kind: 'sample'; expr: string; name: string | null; quote: boolean; hex: boolean };

export class LogFormatError extends Error {
  override name = 'LogFormatError';
}

/** Accepts the string as written in haproxy.cfg too: surrounding quotes, `\"` and `\ ` escapes. */
function unquoteConfig(format: string): string {
  let f = format.trim();
  if (f.length >= 2 && f.startsWith('"') && f.endsWith('"') && !f.endsWith('\\"')) f = f.slice(1, -1);
  return f.replace(/\\\r?\n\s*/g, '').replace(/\\(.)/g, '$1');
}

function isAliasChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

export function tokenizeLogFormat(format: string): FormatItem[] {
  const f = unquoteConfig(format);
  const items: FormatItem[] = [];
  let text = '';
  let quote = false;
  let hex = false;
  const flushText = (): void => {
    if (text.length > 0) items.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < f.length) {
    const c = f.charCodeAt(i);
    if (c === 32 || c === 9) {
      flushText();
      while (i < f.length && (f.charCodeAt(i) === 32 || f.charCodeAt(i) === 9)) i++;
      if (items.length === 0 || items[items.length - 1].kind !== 'sep') items.push({ kind: 'sep' });
      continue;
    }
    if (c !== 37 /* % */) {
      text += f[i++];
      continue;
    }
    if (f.charCodeAt(i + 1) === 37) {
      text += '%';
      i += 2;
      continue;
    }
    flushText();
    i++;
    let name: string | null = null;
    if (f[i] === '(') {
      const close = f.indexOf(')', i);
      if (close < 0) throw new LogFormatError(`unterminated %( name at offset ${i}`);
      name = f.slice(i + 1, close).split(':')[0] || null;
      i = close + 1;
    }
    let itemQuote = quote;
    let itemHex = hex;
    let flagsOnly: { q: boolean | null; x: boolean | null } | null = null;
    if (f[i] === '{') {
      const close = f.indexOf('}', i);
      if (close < 0) throw new LogFormatError(`unterminated %{ flags at offset ${i}`);
      flagsOnly = { q: null, x: null };
      for (const raw of f.slice(i + 1, close).split(',')) {
        const flag = raw.trim();
        const on = !flag.startsWith('-');
        const letter = flag.replace(/^[+-]/, '');
        if (letter === 'Q') flagsOnly.q = on;
        else if (letter === 'X') flagsOnly.x = on;
        else if (letter === 'E' || letter === 'bin' || letter === 'json' || letter === 'cbor' || letter === '') continue;
        else throw new LogFormatError(`unknown log-format flag "${flag}"`);
      }
      if (flagsOnly.q !== null) itemQuote = flagsOnly.q;
      if (flagsOnly.x !== null) itemHex = flagsOnly.x;
      i = close + 1;
    }
    if (f[i] === '[') {
      let depth = 0;
      let j = i;
      for (; j < f.length; j++) {
        if (f[j] === '[') depth++;
        else if (f[j] === ']' && --depth === 0) break;
      }
      if (j >= f.length) throw new LogFormatError(`unterminated %[ sample at offset ${i}`);
      items.push({ kind: 'sample', expr: f.slice(i + 1, j).trim(), name, quote: itemQuote, hex: itemHex });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < f.length && isAliasChar(f.charCodeAt(j))) j++;
    const alias = longestAlias(f.slice(i, j));
    if (alias === null) throw new LogFormatError(`unknown log-format variable "%${f.slice(i, j)}" at offset ${i - 1}`);
    i += alias.length;
    if (alias === 'o') {
      // %o applies its flags to every following item.
      if (flagsOnly?.q != null) quote = flagsOnly.q;
      if (flagsOnly?.x != null) hex = flagsOnly.x;
      continue;
    }
    items.push({ kind: 'alias', alias, name, quote: itemQuote, hex: itemHex });
  }
  flushText();
  return items;
}

/** Every alias of the manual's table (section 8.2.6), plus %o. */
export const ALIASES = [
  'o', 'T', 'Tl', 'Ts', 't', 'ms', 'tr', 'trg', 'trl',
  'Ta', 'Tc', 'Td', 'Th', 'Ti', 'Tq', 'TR', 'Tr', 'Tt', 'Tu', 'Tw',
  'B', 'CC', 'CS', 'H', 'HM', 'HP', 'HPO', 'HQ', 'HU', 'HV', 'ID', 'ST', 'U',
  'ac', 'b', 'bc', 'bi', 'bp', 'bq', 'ci', 'cp', 'f', 'fc', 'fi', 'fp', 'ft', 'lc',
  'hr', 'hrl', 'hs', 'hsl', 'OG', 'pid', 'r', 'rc', 'rt', 's', 'sc', 'si', 'sp', 'sq',
  'sslc', 'sslv', 'ts', 'tsc',
] as const;

const ALIAS_SET: ReadonlySet<string> = new Set(ALIASES);

/** HAProxy reads the longest known alias, so `%Tsfoo` is not an error in a literal context. */
function longestAlias(word: string): string | null {
  for (let n = Math.min(word.length, 4); n > 0; n--) {
    const a = word.slice(0, n);
    if (ALIAS_SET.has(a)) return a;
  }
  return null;
}
