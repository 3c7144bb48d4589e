// The app itself, and the only code that calls the API: window.raftManager in the desktop app, or
// the web-mode client (same interface) in a browser. From here on there is one code path. Every
// operator action is noted in the event log, and its failure shown with the app's own reason.
import {
  PAUSE_MS,
  type AppVersion,
  type DrillRequest,
  type DrillSummary,
  type NewMember,
  type ProfileListing,
  type RaftManagerApi,
  type RemoteClusterRequest,
} from '@shared/api.ts';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { createWebApiClient, pageApiUrl, pageSessionToken } from '../api/web-api-client.ts';
import { useClusterStore } from './cluster.ts';

export type ClusterStatus = 'starting' | 'live' | 'failed';
export type MemberAction = 'kill' | 'restart' | 'pause' | 'partition' | 'transfer-leader' | 'remove';
export type ClusterAction = 'add-member' | 'heal' | 'drill' | 'connect' | 'host-local' | 'delete-profile';

/** The call this page is waiting for. */
export interface PendingAction {
  action: MemberAction | ClusterAction;
  memberId: string | null;
}

interface MemberActionSpec {
  call: (api: RaftManagerApi, id: string) => Promise<void>;
  /** `remote`: the member belongs to a remote cluster, which the app reaches through admin ops alone. */
  done: (id: string, remote: boolean) => string;
  failed: (id: string) => string;
}

const MEMBER_ACTIONS: Record<MemberAction, MemberActionSpec> = {
  kill: {
    call: (api, id) => api.killMember(id),
    done: (id, remote) => (remote ? `You crashed ${id} (the crash op); restart it where it runs` : `You killed ${id} (SIGKILL)`),
    failed: (id) => `Could not kill ${id}`,
  },
  restart: {
    call: (api, id) => api.restartMember(id),
    done: (id) => `You restarted ${id}; it is healthy again`,
    failed: (id) => `Could not restart ${id}`,
  },
  pause: {
    call: (api, id) => api.pauseMember(id),
    done: (id, remote) =>
      remote ? `You paused ${id} for ${PAUSE_MS / 1000} s (the pause op); it resumes by itself` : `You paused ${id} for ${PAUSE_MS / 1000} s (SIGSTOP); Heal resumes it sooner`,
    failed: (id) => `Could not pause ${id}`,
  },
  partition: {
    call: (api, id) => api.partitionMember(id),
    done: (id) => `You cut ${id} off from the other members; Heal joins it again`,
    failed: (id) => `Could not cut ${id} off`,
  },
  'transfer-leader': {
    call: (api, id) => api.transferLeader(id),
    done: (id) => `You handed leadership to ${id}`,
    failed: (id) => `Could not hand leadership to ${id}`,
  },
  remove: {
    call: (api, id) => api.removeMember(id),
    done: (id, remote) => (remote ? `You removed ${id} from the cluster; its process runs on where it was started` : `You removed ${id} from the cluster and stopped it`),
    failed: (id) => `Could not remove ${id}`,
  },
};

export const useAppStore = defineStore('app', () => {
  const cluster = useClusterStore();
  // The preload sets window.raftManager in the desktop app; a browser (web mode) has none.
  const shell: 'desktop' | 'web' = window.raftManager ? 'desktop' : 'web';
  const version = ref<AppVersion | null>(null);
  const error = ref<string | null>(null);
  /** Web mode: why the API socket is down (it is being reopened), or null while it is up. */
  const connectionProblem = ref<string | null>(null);
  const status = ref<ClusterStatus>('starting');
  const pending = ref<PendingAction | null>(null);
  /** The latest drill this page ran, on the cluster watched now. */
  const lastDrill = shallowRef<DrillSummary | null>(null);
  const profiles = shallowRef<ProfileListing>({ profiles: [], problems: [] });
  /** Operations wait while one runs: this page's, or any the app reports (another page may have asked). */
  const operating = computed(() => pending.value !== null || cluster.operation !== null);
  const api = chooseApi();
  let following = false;

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
    void loadProfiles(api);
    try {
      await follow(api);
    } catch (cause) {
      status.value = 'failed';
      error.value = `The local cluster is not available: ${message(cause)}`;
    }
  }

  /**
   * Shows the watched cluster now, and from then on its pushed updates. Once subscribed there is
   * nothing more to do: a switch to another cluster pushes a full update of it (a snapshot fetched
   * meanwhile could be followed by a delta it already holds).
   */
  async function follow(from: RaftManagerApi): Promise<void> {
    if (following) return;
    cluster.applyUpdate(await from.clusterSnapshot());
    status.value = 'live';
    following = true;
    from.subscribe((update) => cluster.applyUpdate(update));
  }

  async function loadProfiles(from: RaftManagerApi): Promise<void> {
    try {
      profiles.value = await from.listProfiles();
    } catch (cause) {
      error.value = `Could not read the saved profiles: ${message(cause)}`;
    }
  }

  async function loadVersion(from: RaftManagerApi): Promise<void> {
    try {
      version.value = await from.appVersion();
    } catch (cause) {
      error.value = `Could not read the app version: ${message(cause)}`;
    }
  }

  /**
   * Calls the API for one action; notes the outcome in the event log. While this page waits for
   * another, the action is refused in the alert (the app would refuse it too).
   */
  async function perform<T>(
    what: PendingAction,
    call: (from: RaftManagerApi) => Promise<T>,
    done: (result: T) => string,
    failed: string,
  ): Promise<void> {
    if (!api) return;
    if (pending.value) {
      error.value = `${failed}: another action is under way (${describePending(pending.value)}); try again once it is done`;
      return;
    }
    pending.value = what;
    try {
      cluster.note(done(await call(api)), what.memberId);
    } catch (cause) {
      const text = `${failed}: ${message(cause)}`;
      error.value = text;
      cluster.note(text, what.memberId);
    } finally {
      pending.value = null;
    }
  }

  function runMemberAction(id: string, action: MemberAction): Promise<void> {
    const spec = MEMBER_ACTIONS[action];
    const remote = cluster.remote;
    return perform({ action, memberId: id }, (from) => spec.call(from, id), () => spec.done(id, remote), spec.failed(id));
  }

  /** Hosted: the app starts the new member. Remote: `member` runs already (raft-node --join). */
  function addMember(member?: NewMember): Promise<void> {
    return perform(
      { action: 'add-member', memberId: null },
      (from) => from.addMember(member),
      ({ id, url }) => `You added ${id} (${url}); it is a voter`,
      'Could not add a member',
    );
  }

  function connect(request: RemoteClusterRequest): Promise<void> {
    const wasHosted = cluster.source?.kind === 'hosted';
    return perform(
      { action: 'connect', memberId: null },
      async (from) => {
        await from.connectRemote(request);
        await switched(from);
        if (request.saveAs !== undefined) await loadProfiles(from);
      },
      () => `You connected to the remote cluster at ${request.urls.join(', ')}${wasHosted ? "; the local cluster's members were stopped (their data stays)" : ''}`,
      'Could not connect',
    );
  }

  function hostLocal(): Promise<void> {
    return perform(
      { action: 'host-local', memberId: null },
      async (from) => {
        await from.hostLocal();
        await switched(from);
      },
      () => 'You host the local cluster again',
      'Could not host the local cluster',
    );
  }

  function deleteProfile(name: string): Promise<void> {
    return perform(
      { action: 'delete-profile', memberId: null },
      async (from) => {
        await from.deleteProfile(name);
        await loadProfiles(from);
      },
      () => `You deleted the profile “${name}”`,
      `Could not delete the profile “${name}”`,
    );
  }

  /** After a switch: the other cluster's drill report and error (it may not have started) do not belong to this one. */
  async function switched(from: RaftManagerApi): Promise<void> {
    lastDrill.value = null;
    error.value = null;
    await follow(from);
  }

  function heal(): Promise<void> {
    return perform(
      { action: 'heal', memberId: null },
      (from) => from.healAll(),
      () =>
        cluster.remote
          ? 'You healed the cluster: partitions and link faults cleared'
          : 'You healed the cluster: paused members resumed, members killed here started again, partitions cleared',
      'Could not heal the cluster',
    );
  }

  function runDrill(request: DrillRequest): Promise<void> {
    return perform(
      { action: 'drill', memberId: null },
      (from) => from.runDrill(request),
      (summary) => {
        lastDrill.value = summary;
        const rounds = `${summary.rounds.length} round${summary.rounds.length === 1 ? '' : 's'}`;
        return `Your ${summary.scenario} drill (${rounds}): ${summary.verdict}, ${summary.lostWrites} lost writes; report ${summary.reportFiles.html}`;
      },
      `Could not run the ${request.scenario} drill`,
    );
  }

  function dismissError(): void {
    error.value = null;
  }

  return {
    shell,
    version,
    error,
    connectionProblem,
    status,
    pending,
    lastDrill,
    profiles,
    operating,
    load,
    runMemberAction,
    addMember,
    connect,
    hostLocal,
    deleteProfile,
    heal,
    runDrill,
    dismissError,
  };
});

function describePending({ action, memberId }: PendingAction): string {
  return memberId === null ? action : `${action} ${memberId}`;
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
