// Which file under a folder a request names, and its Content-Type: shared by web mode's server
// and the browser tests' plain static server.
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
}

/** The decoded path of a request, or null when it cannot be decoded. */
export function requestPath(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return null;
  }
}

/** The file under `root` that `pathname` names, or null when it would lead outside `root`. */
export function fileUnder(root: string, pathname: string | null): string | null {
  if (pathname === null) return null;
  const base = resolve(root);
  const file = resolve(base, `.${pathname}`);
  return file.startsWith(base + sep) ? file : null;
}
