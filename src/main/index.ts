// Electron entry: locks the app down, serves the renderer, hosts the local cluster (or watches a
// remote one) behind the API and opens the window. The control plane lives in the other modules of src/main and knows
// nothing of Electron.
import { app, dialog, session } from 'electron';
import { join } from 'node:path';
import { createApiHandlers } from './api-handlers.ts';
import { APP_PAGE_URL } from './app-page.ts';
import { registerAppScheme, serveRenderer } from './app-protocol.ts';
import { AppService } from './app-service.ts';
import { registerApi } from './ipc.ts';
import { denyAllPermissions, keepOnAppPage } from './web-security.ts';
import { createMainWindow } from './window.ts';

// `npm run dev` serves the renderer from electron-vite's dev server; a build loads it from disk.
const pageUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || APP_PAGE_URL;
// Connection profiles go to <userData>/profiles, remote clusters' drill reports to <userData>/remote-drills.
const service = new AppService({ dir: join(app.getPath('userData'), 'clusters', 'local'), dataDir: app.getPath('userData') });
let clusterStopped = false;

app.enableSandbox();
registerAppScheme();
app.on('web-contents-created', (_event, contents) => keepOnAppPage(contents, pageUrl));
app.on('window-all-closed', () => app.quit());
// Quitting waits until the members have stopped cleanly.
app.on('will-quit', (event) => {
  if (clusterStopped) return;
  event.preventDefault();
  service
    .stop()
    .catch((error: unknown) => console.error('stopping the local cluster failed:', error))
    .finally(() => {
      clusterStopped = true;
      app.quit();
    });
});

async function start(): Promise<void> {
  denyAllPermissions(session.defaultSession);
  serveRenderer(join(import.meta.dirname, '../renderer'));
  registerApi(
    pageUrl,
    createApiHandlers(service, () => ({
      app: app.getVersion(),
      electron: process.versions.electron,
      node: process.versions.node,
      chrome: process.versions.chrome,
    })),
  );
  // The page shows a failure (clusterSnapshot rejects with it); the log keeps it too.
  service.start().catch((error: unknown) => console.error(error instanceof Error ? error.message : error));
  await createMainWindow(pageUrl, join(import.meta.dirname, '../preload/index.cjs'));
}

app
  .whenReady()
  .then(start)
  .catch((error: unknown) => {
    dialog.showErrorBox('Raft Manager could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
