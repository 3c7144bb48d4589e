// Exposes window.raftManager to the renderer: one typed function per API method, each a single IPC
// call. The renderer never sees ipcRenderer or an Electron event object.
import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNELS, type RaftManagerApi } from '../shared/api.ts';

const api: RaftManagerApi = {
  appVersion: () => ipcRenderer.invoke(API_CHANNELS.appVersion),
};

contextBridge.exposeInMainWorld('raftManager', api);
