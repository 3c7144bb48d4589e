// Exposes window.raftManager to the renderer: one typed function per API method, each a single IPC
// call, and subscribe, which registers a callback for pushed updates. The renderer never sees
// ipcRenderer or an Electron event object.
import { contextBridge, ipcRenderer } from 'electron';
import {
  API_CHANNELS,
  API_UPDATE_CHANNELS,
  apiCalls,
  type ApiCallAnswer,
  type ApiCallMethod,
  type ApiResult,
  type ClusterUpdate,
  type RaftManagerApi,
} from '../shared/api.ts';

async function call<M extends ApiCallMethod>(method: M, ...args: unknown[]): Promise<ApiResult<M>> {
  const answer = (await ipcRenderer.invoke(API_CHANNELS[method], ...args)) as ApiCallAnswer;
  if (!answer.ok) throw new Error(answer.error);
  return answer.value as ApiResult<M>;
}

const listeners = new Set<(update: ClusterUpdate) => void>();
ipcRenderer.on(API_UPDATE_CHANNELS.update, (_event, update: ClusterUpdate) => {
  for (const listener of listeners) listener(update);
});

const api: RaftManagerApi = {
  ...apiCalls(call),
  subscribe(onUpdate) {
    const listener = (update: ClusterUpdate): void => onUpdate(update);
    listeners.add(listener);
    ipcRenderer.send(API_UPDATE_CHANNELS.subscribe);
    return () => {
      if (listeners.delete(listener) && listeners.size === 0) ipcRenderer.send(API_UPDATE_CHANNELS.unsubscribe);
    };
  },
};

contextBridge.exposeInMainWorld('raftManager', api);
