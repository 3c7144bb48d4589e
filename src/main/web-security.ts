// Limits on what web content may do, applied to every webContents the app creates: no new
// windows, no navigation away from the app page, no <webview>, no browser permissions.
import type { Session, WebContents } from 'electron';
import { isAppPage } from './app-page.ts';

export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function keepOnAppPage(contents: WebContents, pageUrl: string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-frame-navigate', (event) => {
    if (!isAppPage(event.url, pageUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
