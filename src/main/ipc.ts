// Registers the handlers behind window.raftManager. Every call is checked to come from the app's own
// page before its handler runs, so that no other content that ends up in a frame can drive the app.
import { ipcMain } from 'electron';
import { API_CHANNELS, type RaftManagerApi } from '../shared/api.ts';
import { isAppPage } from './app-page.ts';

type ApiResult<M extends keyof RaftManagerApi> = Awaited<ReturnType<RaftManagerApi[M]>>;

/** Handles API `method`. Its arguments come from the renderer untyped: the handler validates them. */
export function handleApiCall<M extends keyof RaftManagerApi>(
  method: M,
  pageUrl: string,
  handler: (...args: unknown[]) => ApiResult<M> | Promise<ApiResult<M>>,
): void {
  const channel = API_CHANNELS[method];
  ipcMain.handle(channel, (event, ...args: unknown[]) => {
    const senderUrl = event.senderFrame?.url ?? '';
    if (!isAppPage(senderUrl, pageUrl)) {
      throw new Error(`${channel} refused: the sender (${senderUrl || 'a closed frame'}) is not the app page`);
    }
    return handler(...args);
  });
}
