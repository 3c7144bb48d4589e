// Where the desktop window's page lives, and the checks that keep the window and IPC on it.
// Electron-free, so that tests can exercise it directly.
import { resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
const APP_HOST = 'renderer';
/** The built renderer, served by the main process under a private scheme instead of file://. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True when `url` is the page at `pageUrl`; only the query and the fragment may differ. */
export function isAppPage(url: string, pageUrl: string): boolean {
  const candidate = parseUrl(url);
  const page = new URL(pageUrl);
  return (
    candidate !== null &&
    candidate.protocol === page.protocol &&
    candidate.host === page.host &&
    candidate.pathname === page.pathname &&
    candidate.username === '' &&
    candidate.password === ''
  );
}

/**
 * The file under `rendererDir` that an app:// request asks for, or null when the request is for
 * another host or would leave `rendererDir`.
 */
export function appFilePath(rendererDir: string, requestUrl: string): string | null {
  const url = parseUrl(requestUrl);
  if (url === null || url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  const root = resolve(rendererDir);
  const file = resolve(root, `.${pathname}`);
  return file.startsWith(root + sep) ? file : null;
}
