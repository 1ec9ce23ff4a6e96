import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Minimal glob for log paths: `*`, `?` and `[…]` in any path segment (no `**`, no braces).
 * Returns matching regular paths sorted; a pattern without wildcards is returned as is (whether
 * or not the file exists yet: the shipper waits for it).
 */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        const body = segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A whole-path pattern as a regular expression (wildcards never cross `/`). */
export function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('/').map((seg) => segmentRegex(seg).source.slice(1, -1)).join('/')}$`);
}

export async function expandGlob(pattern: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  if (!hasWildcard(abs)) return [abs];
  const segments = abs.split(sep).filter(Boolean);
  let bases: string[] = [sep];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasWildcard(seg)) {
        next.push(join(base, seg));
        continue;
      }
      const re = segmentRegex(seg);
      let entries;
      try {
        entries = await readdir(base, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
        if (!re.test(e.name)) continue;
        if (last ? e.isFile() : e.isDirectory()) next.push(join(base, e.name));
      }
    }
    bases = next;
  }
  return bases.sort();
}
