// The API the preload exposes to the renderer as `window.raftManager`.
// Every method is an IPC call handled in the main process; arguments and results are plain data.

export interface AppVersion {
  app: string;
  electron: string;
  node: string;
  chrome: string;
}

export interface RaftManagerApi {
  appVersion(): Promise<AppVersion>;
}

/** The IPC channel behind each API method; the preload invokes it and the main process handles it. */
export const API_CHANNELS = {
  appVersion: 'app:version',
} as const satisfies Record<keyof RaftManagerApi, string>;
