// Exposes window.raftManager to the renderer: one typed function per API method, each a single IPC
// call, and subscribe, which registers a callback for pushed updates. The renderer never sees
// ipcRenderer or an Electron event object.
import { contextBridge, ipcRenderer } from 'electron';
import {
  API_CHANNELS,
  API_UPDATE_CHANNELS,
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
  appVersion: () => call('appVersion'),
  clusterSnapshot: () => call('clusterSnapshot'),
  connectRemote: (request) => call('connectRemote', request),
  hostLocal: () => call('hostLocal'),
  listProfiles: () => call('listProfiles'),
  deleteProfile: (name) => call('deleteProfile', name),
  killMember: (id) => call('killMember', id),
  restartMember: (id) => call('restartMember', id),
  // No argument at all for a hosted cluster: the handler tells the two apart by the count.
  addMember: (member) => (member ? call('addMember', member) : call('addMember')),
  removeMember: (id) => call('removeMember', id),
  transferLeader: (id) => call('transferLeader', id),
  pauseMember: (id) => call('pauseMember', id),
  partitionMember: (id) => call('partitionMember', id),
  healAll: () => call('healAll'),
  runDrill: (request) => call('runDrill', request),
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
