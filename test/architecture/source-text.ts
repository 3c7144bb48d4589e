// Reading source files for the architecture checks: list them, and blank out what is not code.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.vue'];

/** Every source file under `dir`, as a path joined onto `dir`, sorted. */
export function listSourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listSourceFiles(path);
      return SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension)) ? [path] : [];
    })
    .sort();
}

const blankOut = (text: string): string => text.replace(/[^\n]/g, ' ');

/**
 * Replaces comments, and with `strings` the insides of string literals, by spaces. Line breaks and
 * offsets stay where they were, so positions in the result are positions in the source.
 * A regular-expression literal holding a quote or `//` would confuse it; source here has none.
 */
export function blankNonCode(source: string, { strings }: { strings: boolean }): string {
  let result = '';
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const next = source[i + 1];
    if (char === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      result += blankOut(source.slice(i, stop));
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      result += blankOut(source.slice(i, stop));
      i = stop;
    } else if (char === "'" || char === '"' || char === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== char) j += source[j] === '\\' ? 2 : 1;
      const inside = source.slice(i + 1, Math.min(j, source.length));
      result += char + (strings ? blankOut(inside) : inside) + (j < source.length ? char : '');
      i = j + 1;
    } else {
      result += char;
      i += 1;
    }
  }
  return result;
}

/** The code of a file: for a Vue component only its <script> blocks, the template blanked out. */
export function scriptText(path: string, source: string): string {
  if (!path.endsWith('.vue')) return source;
  let result = '';
  let last = 0;
  for (const match of source.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/g)) {
    const start = match.index + match[1].length;
    result += blankOut(source.slice(last, start)) + match[2];
    last = start + match[2].length;
  }
  return result + blankOut(source.slice(last));
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (text[i] === '\n') line += 1;
  return line;
}
