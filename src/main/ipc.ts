// Registers the handlers behind window.raftManager. Every message is checked to come from the app's
// own page before it is served, so that no other content that ends up in a frame can drive the app.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { API_CALL_METHODS, API_CHANNELS, API_UPDATE_CHANNELS, type ApiCallAnswer } from '../shared/api.ts';
import type { ApiHandlers } from './api-handlers.ts';
import { isAppPage } from './app-page.ts';

export function registerApi(pageUrl: string, handlers: ApiHandlers): void {
  for (const method of API_CALL_METHODS) handleApiCall(API_CHANNELS[method], pageUrl, handlers.calls[method]);
  handleSubscriptions(pageUrl, handlers.subscribe);
}

/** The refusal when `event` did not come from the app page; null when it did. */
function refusal(event: IpcMainEvent | IpcMainInvokeEvent, channel: string, pageUrl: string): string | null {
  const senderUrl = event.senderFrame?.url ?? '';
  return isAppPage(senderUrl, pageUrl) ? null : `${channel} refused: the sender (${senderUrl || 'a closed frame'}) is not the app page`;
}

/** Answers with an ApiCallAnswer, so that the page sees the error's own message. */
function handleApiCall(channel: string, pageUrl: string, handler: (args: readonly unknown[]) => Promise<unknown>): void {
  ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<ApiCallAnswer> => {
    const refused = refusal(event, channel, pageUrl);
    if (refused) return { ok: false, error: refused };
    try {
      return { ok: true, value: await handler(args) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  });
}

/** One update stream per page; a new subscribe replaces it (so it starts with a full update). */
function handleSubscriptions(pageUrl: string, subscribe: ApiHandlers['subscribe']): void {
  const streams = new Map<WebContents, () => void>();
  const watched = new WeakSet<WebContents>();
  const stop = (contents: WebContents): void => {
    streams.get(contents)?.();
    streams.delete(contents);
  };
  ipcMain.on(API_UPDATE_CHANNELS.subscribe, (event) => {
    const refused = refusal(event, API_UPDATE_CHANNELS.subscribe, pageUrl);
    if (refused) return console.warn(refused);
    const contents = event.sender;
    stop(contents);
    if (!watched.has(contents)) {
      watched.add(contents);
      contents.once('destroyed', () => stop(contents));
    }
    streams.set(
      contents,
      subscribe((update) => {
        if (!contents.isDestroyed()) contents.send(API_UPDATE_CHANNELS.update, update);
      }),
    );
  });
  ipcMain.on(API_UPDATE_CHANNELS.unsubscribe, (event) => {
    const refused = refusal(event, API_UPDATE_CHANNELS.unsubscribe, pageUrl);
    if (refused) return console.warn(refused);
    stop(event.sender);
  });
}
