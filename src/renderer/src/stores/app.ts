// The app itself, and the only code that calls the API: window.raftManager in the desktop app, or
// the web-mode client (same interface) in a browser. From here on there is one code path.
import type { AppVersion, RaftManagerApi } from '@shared/api.ts';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { createWebApiClient, pageApiUrl, pageSessionToken } from '../api/web-api-client.ts';
import { useClusterStore } from './cluster.ts';

export type ClusterStatus = 'starting' | 'live' | 'failed';
export type MemberAction = 'kill' | 'restart';

export const useAppStore = defineStore('app', () => {
  const cluster = useClusterStore();
  // The preload sets window.raftManager in the desktop app; a browser (web mode) has none.
  const shell: 'desktop' | 'web' = window.raftManager ? 'desktop' : 'web';
  const version = ref<AppVersion | null>(null);
  const error = ref<string | null>(null);
  /** Web mode: why the API socket is down (it is being reopened), or null while it is up. */
  const connectionProblem = ref<string | null>(null);
  const status = ref<ClusterStatus>('starting');
  /** The action under way on each member. */
  const busy = ref<Record<string, MemberAction>>({});
  const api = chooseApi();

  function chooseApi(): RaftManagerApi | null {
    if (window.raftManager) return window.raftManager;
    const token = pageSessionToken();
    if (token === null) return null;
    return createWebApiClient({
      url: pageApiUrl(),
      token,
      onConnection: (state, problem) => (connectionProblem.value = state === 'connected' ? null : problem),
    });
  }

  async function load(): Promise<void> {
    if (!api) {
      status.value = 'failed';
      error.value = 'This page has no connection to Raft Manager: open the URL that `npm run web` printed.';
      return;
    }
    void loadVersion(api);
    try {
      cluster.applyUpdate(await api.clusterSnapshot());
    } catch (cause) {
      status.value = 'failed';
      error.value = `The local cluster is not available: ${message(cause)}`;
      return;
    }
    status.value = 'live';
    api.subscribe((update) => cluster.applyUpdate(update));
  }

  async function loadVersion(from: RaftManagerApi): Promise<void> {
    try {
      version.value = await from.appVersion();
    } catch (cause) {
      error.value = `Could not read the app version: ${message(cause)}`;
    }
  }

  async function runMemberAction(id: string, action: MemberAction): Promise<void> {
    if (!api || busy.value[id]) return;
    busy.value = { ...busy.value, [id]: action };
    try {
      if (action === 'kill') {
        await api.killMember(id);
        cluster.note(`You killed ${id} (SIGKILL)`, id);
      } else {
        await api.restartMember(id);
        cluster.note(`You restarted ${id}; it is healthy again`, id);
      }
    } catch (cause) {
      const text = `Could not ${action} ${id}: ${message(cause)}`;
      error.value = text;
      cluster.note(text, id);
    } finally {
      const { [id]: _done, ...rest } = busy.value;
      busy.value = rest;
    }
  }

  function dismissError(): void {
    error.value = null;
  }

  return { shell, version, error, connectionProblem, status, busy, load, runMemberAction, dismissError };
});

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
