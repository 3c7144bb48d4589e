// A whole cluster, seen through one AdminClient per member: hosted (URLs from cluster.json) or
// remote (URLs a user gave). From any one member it discovers the others (`status.members`,
// membership events), polls every connected member's status, keeps the latest one, and merges all
// members' events into one stream tagged with the member. Members that cannot be reached are marked
// `unreachable` with the last error while the rest keep working.
import type { AdminEvent } from '../../shared/protocol/admin-events.ts';
import type { Member, NodeStatus } from '../../shared/protocol/node-status.ts';
import { Listeners } from '../listeners.ts';
import { AdminClient, type AdminClientOptions, type AdminConnectionState } from './admin-client.ts';
import { memberBaseUrl } from './endpoint.ts';
import { RequestError } from './request-error.ts';

export interface ClusterConnectionOptions extends AdminClientOptions {
  /** How often each connected member's status is polled, in addition to its pushed events; 0: never. */
  statusIntervalMs?: number;
}

/** What is known of one member right now. */
export interface MemberView {
  /** null until the member has answered or another member has named it. */
  id: string | null;
  /** Its base URL, `ws://host:port`. */
  url: string;
  state: AdminConnectionState;
  /** Why it is unreachable; null while connected. */
  lastError: string | null;
  /** Its latest status, from a poll or a pushed event; kept (stale) while unreachable. */
  status: NodeStatus | null;
  /** When that status arrived, ms since the epoch by this machine's clock. */
  statusAt: number | null;
}

/** A node's own event (`node`), or a change in this side's connection to it (`connection`). */
export type ClusterEvent =
  | { kind: 'node'; memberId: string; url: string; receivedAt: number; event: AdminEvent }
  | { kind: 'connection'; memberId: string | null; url: string; receivedAt: number; state: AdminConnectionState; error: string | null };

interface TrackedMember {
  client: AdminClient;
  id: string | null;
  status: NodeStatus | null;
  statusAt: number | null;
  polling: boolean;
}

export const DEFAULT_STATUS_INTERVAL_MS = 250;

export class ClusterConnection {
  private readonly members = new Map<string, TrackedMember>();
  private readonly events = new Listeners<ClusterEvent>();
  private readonly clientOptions: AdminClientOptions;
  private readonly pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Starts connecting to every URL at once; at least one URL. Events flow as soon as members answer. */
  constructor(urls: readonly string[], options: ClusterConnectionOptions = {}) {
    if (urls.length === 0) throw new Error('a cluster connection needs at least one member URL');
    const { statusIntervalMs = DEFAULT_STATUS_INTERVAL_MS, ...clientOptions } = options;
    this.clientOptions = clientOptions;
    for (const url of urls) this.addUrl(url);
    if (statusIntervalMs > 0) this.pollTimer = setInterval(() => this.pollAll(), statusIntervalMs);
  }

  /** Every member known: given, discovered or added. */
  memberViews(): MemberView[] {
    return [...this.members.values()].map(view);
  }

  /** The member with this id or base URL. */
  member(idOrUrl: string): MemberView | undefined {
    const tracked = this.find(idOrUrl);
    return tracked && view(tracked);
  }

  /** The connected member whose latest status says it leads, in the highest term; undefined if none. */
  leader(): MemberView | undefined {
    let best: TrackedMember | undefined;
    for (const member of this.members.values()) {
      if (member.client.state !== 'connected' || member.status?.role !== 'leader') continue;
      if (!best || member.status.term > (best.status?.term ?? -1)) best = member;
    }
    return best && view(best);
  }

  /** The admin client of a member, for requests to that member alone. Throws if it is unknown. */
  admin(idOrUrl: string): AdminClient {
    const tracked = this.find(idOrUrl);
    if (!tracked) throw new Error(`no member "${idOrUrl}" in this cluster (known: ${this.describeMembers()})`);
    return tracked.client;
  }

  /** The leader's admin client; throws a NO_LEADER RequestError when no connected member leads. */
  leaderAdmin(): AdminClient {
    const leader = this.leader();
    if (!leader) throw new RequestError('NO_LEADER', `no connected member leads right now (members: ${this.describeMembers()})`, this.firstUrl());
    return this.admin(leader.url);
  }

  /** Every node event and connection change, from all members. */
  onEvent(listener: (event: ClusterEvent) => void): () => void {
    return this.events.add(listener);
  }

  /**
   * Resolves once `check` holds (it is tried now and after every event); rejects after `timeoutMs`
   * with an Error that says what was awaited.
   */
  waitUntil(check: (connection: ClusterConnection) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (members: ${this.describeMembers()})`));
      }, timeoutMs);
      const stop = this.events.add(() => {
        if (!check(this)) return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }

  /** Resolves with the leader once one is known. */
  async waitForLeader(timeoutMs: number): Promise<MemberView> {
    await this.waitUntil((connection) => connection.leader() !== undefined, timeoutMs, 'a leader');
    return this.leader() as MemberView;
  }

  /** Starts watching the member at `url` (e.g. one just started); a no-op if it is known. */
  addUrl(url: string, id: string | null = null): void {
    const base = memberBaseUrl(url);
    const known = this.members.get(base);
    if (known) {
      if (known.id === null && id !== null) this.identify(known, id);
      return;
    }
    if (this.closed || (id !== null && this.find(id))) return;
    const client = new AdminClient(base, this.clientOptions);
    const member: TrackedMember = { client, id, status: null, statusAt: null, polling: false };
    this.members.set(base, member);
    client.onState(({ state, error }) => {
      this.emit({ kind: 'connection', memberId: member.id, url: base, receivedAt: Date.now(), state, error });
      if (state === 'connected') this.poll(member);
    });
    client.onEvent((event) => this.onNodeEvent(member, event));
  }

  /** Asks the member for its status now, connecting at once if it is not connected (e.g. just restarted). */
  refresh(idOrUrl: string): void {
    const tracked = this.find(idOrUrl);
    if (tracked) this.poll(tracked);
  }

  /** Stops watching a member (e.g. one removed from the cluster). */
  forget(idOrUrl: string): void {
    const tracked = this.find(idOrUrl);
    if (!tracked) return;
    this.members.delete(tracked.client.url);
    tracked.client.close();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    for (const member of this.members.values()) member.client.close();
    this.members.clear();
    this.events.clear();
  }

  private find(idOrUrl: string): TrackedMember | undefined {
    for (const member of this.members.values()) if (member.id === idOrUrl) return member;
    if (!URL.canParse(idOrUrl)) return undefined;
    return this.members.get(memberBaseUrl(idOrUrl));
  }

  private pollAll(): void {
    for (const member of this.members.values()) if (member.client.state === 'connected') this.poll(member);
  }

  private poll(member: TrackedMember): void {
    if (member.polling) return;
    member.polling = true;
    member.client.status().then(
      (status) => {
        member.polling = false;
        if (this.members.get(member.client.url) !== member) return;
        this.onNodeEvent(member, { event: 'status', node: status.id, at: Date.now(), status });
      },
      // The connection reports its own loss; a slow answer is simply not a sample.
      () => (member.polling = false),
    );
  }

  private onNodeEvent(member: TrackedMember, event: AdminEvent): void {
    if (this.closed) return;
    if (member.id === null && !this.identify(member, event.node)) return;
    const memberId = member.id ?? event.node;
    if (event.event === 'status') {
      member.status = event.status;
      member.statusAt = Date.now();
      this.discover(event.status.members);
    } else if (event.event === 'membership') {
      this.discover(event.members);
    } else if (event.event === 'fault' && member.status) {
      // Faults change at once, not at the next status: a partition or a heal shows without delay.
      member.status = { ...member.status, faults: event.faults };
    }
    this.emit({ kind: 'node', memberId, url: member.client.url, receivedAt: Date.now(), event });
  }

  /**
   * Learns a member's id. The same node reached by two URLs (say localhost and 127.0.0.1) is kept
   * once: false when this one was dropped for that reason.
   */
  private identify(member: TrackedMember, id: string): boolean {
    for (const other of this.members.values()) {
      if (other !== member && other.id === id) {
        this.forget(member.client.url);
        return false;
      }
    }
    member.id = id;
    // Its connection events so far carried no id; say again, with it, where it stands.
    const { state, lastError } = member.client;
    this.emit({ kind: 'connection', memberId: id, url: member.client.url, receivedAt: Date.now(), state, error: lastError });
    return true;
  }

  private discover(members: Member[]): void {
    for (const { id, url } of members) this.addUrl(url, id);
  }

  private emit(event: ClusterEvent): void {
    if (!this.closed) this.events.emit(event);
  }

  private describeMembers(): string {
    const members = [...this.members.values()];
    if (members.length === 0) return 'none';
    return members.map((m) => `${m.id ?? '?'} ${m.client.url} ${m.client.state}${m.client.lastError ? ` (${m.client.lastError})` : ''}`).join('; ');
  }

  private firstUrl(): string {
    return this.members.keys().next().value ?? '';
  }
}

function view(member: TrackedMember): MemberView {
  return {
    id: member.id,
    url: member.client.url,
    state: member.client.state,
    lastError: member.client.lastError,
    status: member.status,
    statusAt: member.statusAt,
  };
}
