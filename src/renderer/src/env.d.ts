/// <reference types="vite/client" />
import type { RaftManagerApi } from '@shared/api.ts';

declare global {
  interface Window {
    /** Set by the preload in the desktop app; absent in web mode. */
    readonly raftManager?: RaftManagerApi;
  }
}
