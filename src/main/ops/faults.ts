// Fault injection for drills and chaos by hand: kill, restart, pause, partition, delay and heal,
// each optionally undone by a timer, each recorded on a Timeline. A hosted cluster's processes get
// real signals (SIGKILL, SIGSTOP/SIGCONT) and restarts; a remote cluster gets the admin ops
// (`crash`, `pause`, `fault`). A partition is drop lists on both sides.
import { MAX_PAUSE_MS } from '../../shared/protocol/limits.ts';
import type { FaultState } from '../../shared/protocol/node-status.ts';
import type { AdminClient } from '../connection/admin-client.ts';
import type { ClusterConnection } from '../connection/cluster-connection.ts';
import type { LocalCluster } from '../hosting/local-cluster.ts';
import { OperationError } from './operation-error.ts';
import { Timeline } from './timeline.ts';

export { Timeline, type TimelineEntry } from './timeline.ts';

/** Message-level faults on a member's links: delay, jitter, loss, duplication. */
export type LinkFault = Partial<Pick<FaultState, 'delayMs' | 'jitterMs' | 'lossRate' | 'duplicateRate'>>;

export interface FaultInjectorOptions {
  /** The cluster's host, when it runs on this machine: faults become signals and restarts. */
  host?: LocalCluster;
  /** Where faults are recorded; a new one by default. */
  timeline?: Timeline;
}

export interface RevertOptions {
  /** Undo the fault automatically after this many ms. */
  revertAfterMs?: number;
}

const NO_LINK_FAULT: Required<LinkFault> = { delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 };
const MAX_REVERT_AFTER_MS = 24 * 60 * 60 * 1000;

export class FaultInjector {
  readonly timeline: Timeline;
  private readonly host: LocalCluster | undefined;
  private readonly revertTimers = new Set<NodeJS.Timeout>();
  /** Hosted members this injector killed and has not started again. */
  private readonly killed = new Set<string>();

  constructor(
    private readonly conn: ClusterConnection,
    opts: FaultInjectorOptions = {},
  ) {
    this.host = opts.host;
    this.timeline = opts.timeline ?? new Timeline();
  }

  /** Hosted: SIGKILL, and a restart on revert. Remote: the `crash` op, which cannot be reverted from here. */
  async kill(id: string, opts: RevertOptions = {}): Promise<void> {
    const revertAfterMs = revertDelay(opts);
    if (!this.host) {
      if (revertAfterMs !== undefined) {
        throw new OperationError(`${id} is a remote member: it cannot be restarted from here, so its kill cannot be reverted; kill it without a revert timer and restart it where it runs`);
      }
      await this.memberAdmin(id).crash();
      this.timeline.record({ kind: 'fault', action: 'kill', target: [id], detail: { via: 'crash op' } });
      return;
    }
    const { state } = this.hostedMember(id);
    if (state !== 'running' && state !== 'paused') throw new OperationError(`${id} is not running (it is ${state})`);
    await this.host.kill(id);
    this.killed.add(id);
    this.timeline.record({ kind: 'fault', action: 'kill', target: [id], detail: { signal: 'SIGKILL' } });
    if (revertAfterMs !== undefined) this.schedule(revertAfterMs, 'restart', [id], () => this.startKilled(id));
  }

  /** Hosted only: stops the member cleanly (if it runs) and starts it again; waits until it is healthy. */
  async restart(id: string): Promise<void> {
    const host = this.requireHost('restart');
    const wasDown = !['running', 'paused', 'starting'].includes(this.hostedMember(id).state);
    await host.restart(id);
    this.killed.delete(id);
    this.timeline.record({ kind: wasDown ? 'revert' : 'fault', action: 'restart', target: [id] });
  }

  /**
   * Freezes the member for `ms`. Hosted: SIGSTOP, then SIGCONT after `ms` (or at heal). Remote: the
   * `pause` op; the node resumes by itself.
   */
  async pause(id: string, opts: { ms: number }): Promise<void> {
    const { ms } = opts;
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_PAUSE_MS) throw new OperationError(`a pause lasts a whole number of ms from 1 to ${MAX_PAUSE_MS}, got ${ms}`);
    if (this.host) {
      this.hostedMember(id);
      try {
        this.host.pause(id);
      } catch (error) {
        throw new OperationError((error as Error).message);
      }
      this.timeline.record({ kind: 'fault', action: 'pause', target: [id], detail: { ms, signal: 'SIGSTOP' } });
      this.schedule(ms, 'resume', [id], async () => this.resumePaused(id));
      return;
    }
    await this.memberAdmin(id).pause(ms);
    this.timeline.record({ kind: 'fault', action: 'pause', target: [id], detail: { ms, via: 'pause op' } });
    this.schedule(ms, 'resume', [id], async () => {});
  }

  /** Cuts every link between `group` and the other members, both ways; reverted by clearing the drop lists. */
  async partition(group: string[], opts: RevertOptions = {}): Promise<void> {
    const revertAfterMs = revertDelay(opts);
    const inside = this.distinctMembers(group, 'partition');
    const outside = this.memberIds().filter((id) => !inside.includes(id));
    if (outside.length === 0) throw new OperationError(`a partition needs members on both sides; ${inside.join(', ')} is every member`);
    const everyone = [...inside, ...outside];
    const failures = await this.setFaultsOn(everyone, (id) => {
      const others = inside.includes(id) ? outside : inside;
      return { dropTo: others, dropFrom: others };
    });
    this.timeline.record({ kind: 'fault', action: 'partition', target: inside, detail: { from: outside, ...unreached(failures) } });
    if (revertAfterMs !== undefined) {
      this.schedule(revertAfterMs, 'heal-partition', inside, async () => this.throwFailures('clearing the partition', await this.setFaultsOn(everyone, () => ({ dropTo: [], dropFrom: [] }))));
    }
    // Either end's drop lists cut a link, so a member that could not be reached (one that is down,
    // say) fails the partition only where the other end of one of its links was not reached either.
    const uncut = inside.flatMap((a) => outside.filter((b) => failures.has(a) && failures.has(b)).map((b) => `${a}-${b}`));
    if (uncut.length > 0) this.throwFailures(`partitioning (links ${uncut.join(', ')} are not cut)`, failures);
  }

  /** Adds delay, jitter, loss or duplication to the outgoing messages of each target. */
  async delay(targets: string[], link: LinkFault, opts: RevertOptions = {}): Promise<void> {
    const revertAfterMs = revertDelay(opts);
    const ids = this.distinctMembers(targets, 'delay');
    const fields = (Object.keys(link) as (keyof LinkFault)[]).filter((field) => link[field] !== undefined);
    if (fields.length === 0) throw new OperationError('a link fault needs at least one of delayMs, jitterMs, lossRate, duplicateRate');
    const failures = await this.setFaultsOn(ids, () => link);
    this.timeline.record({ kind: 'fault', action: 'delay', target: ids, detail: { ...link, ...unreached(failures) } });
    if (revertAfterMs !== undefined) {
      const undo = Object.fromEntries(fields.map((field) => [field, NO_LINK_FAULT[field]]));
      this.schedule(revertAfterMs, 'clear-delay', ids, async () => this.throwFailures('clearing the link faults', await this.setFaultsOn(ids, () => undo)));
    }
    this.throwFailures('setting link faults', failures);
  }

  /**
   * Undoes everything: cancels the revert timers, resumes paused hosted members, starts the hosted
   * members this injector killed, and clears the message faults of every member that answers.
   */
  async heal(): Promise<void> {
    this.cancelReverts();
    const resumed: string[] = [];
    const restarted: string[] = [];
    if (this.host) {
      for (const member of this.host.members()) {
        if (member.state === 'paused') {
          this.host.resume(member.id);
          resumed.push(member.id);
        }
      }
    }
    const startFailures = await this.startStillKilled(restarted);
    const cleared = this.memberIds().filter((id) => !restarted.includes(id));
    const failures = await this.setFaultsOn(cleared, 'clear');
    this.timeline.record({ kind: 'heal', action: 'heal', target: cleared, detail: { resumed, restarted, ...unreached(failures) } });
    // Message faults are cleared even when a start failed; the failure is then reported.
    const notStarted = [...startFailures].map(([id, why]) => `${id}: ${why}`);
    if (notStarted.length > 0) throw new OperationError(`heal could not start ${notStarted.join('; ')}`);
  }

  /**
   * Starts the hosted members this injector killed that are still down, adding each started one to
   * `started`; those removed or started by other means since are forgotten. The ones that failed, with why.
   */
  private async startStillKilled(started: string[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    if (!this.host) return failures;
    const down = new Map(this.host.members().map((member) => [member.id, member.state === 'stopped' || member.state === 'exited']));
    for (const id of this.killed) if (!down.get(id)) this.killed.delete(id);
    const killed = [...this.killed];
    const results = await Promise.allSettled(killed.map((id) => this.startKilled(id)));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') started.push(killed[i]);
      else failures.set(killed[i], (result.reason as Error).message);
    });
    return failures;
  }

  /** Cancels the pending revert timers; faults in force stay. */
  close(): void {
    this.cancelReverts();
  }

  private async startKilled(id: string): Promise<void> {
    const host = this.requireHost('restart');
    await host.start(id);
    this.killed.delete(id);
  }

  private resumePaused(id: string): void {
    if (this.host?.member(id).state === 'paused') this.host.resume(id);
  }

  /** Runs `revert` after `ms`, recording it, or the reason it failed, on the timeline. */
  private schedule(ms: number, action: string, target: string[], revert: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.revertTimers.delete(timer);
      revert().then(
        () => this.timeline.record({ kind: 'revert', action, target }),
        (error: Error) => this.timeline.record({ kind: 'note', action: 'revert-failed', target, detail: { revert: action, error: error.message } }),
      );
    }, ms);
    this.revertTimers.add(timer);
  }

  private cancelReverts(): void {
    for (const timer of this.revertTimers) clearTimeout(timer);
    this.revertTimers.clear();
  }

  /** Sets (or clears) faults on each member at once; the ids that could not be reached, with why. */
  private async setFaultsOn(ids: string[], faults: ((id: string) => Partial<FaultState>) | 'clear'): Promise<Map<string, string>> {
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        const admin = this.memberAdmin(id);
        return faults === 'clear' ? admin.clearFaults() : admin.setFaults(faults(id));
      }),
    );
    const failures = new Map<string, string>();
    results.forEach((result, i) => {
      if (result.status === 'rejected') failures.set(ids[i], (result.reason as Error).message);
    });
    return failures;
  }

  private throwFailures(what: string, failures: Map<string, string>): void {
    if (failures.size === 0) return;
    const list = [...failures].map(([id, why]) => `${id}: ${why}`).join('; ');
    throw new OperationError(`${what} did not reach every member (${list})`);
  }

  /** Every member known to the connection (or the host), by id. */
  private memberIds(): string[] {
    const ids = new Set(this.conn.memberViews().flatMap((v) => (v.id === null ? [] : [v.id])));
    for (const member of this.host?.members() ?? []) ids.add(member.id);
    return [...ids];
  }

  private distinctMembers(ids: string[], action: string): string[] {
    if (ids.length === 0) throw new OperationError(`${action} needs at least one member`);
    const known = this.memberIds();
    const unknown = ids.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new OperationError(`no member ${unknown.join(', ')} in this cluster (members: ${known.join(', ')})`);
    return [...new Set(ids)];
  }

  private memberAdmin(id: string): AdminClient {
    try {
      return this.conn.admin(id);
    } catch (error) {
      throw new OperationError((error as Error).message);
    }
  }

  private hostedMember(id: string): ReturnType<LocalCluster['member']> {
    try {
      return this.requireHost('this fault').member(id);
    } catch (error) {
      throw new OperationError((error as Error).message);
    }
  }

  private requireHost(action: string): LocalCluster {
    if (!this.host) throw new OperationError(`${action} needs a cluster hosted on this machine`);
    return this.host;
  }
}

function revertDelay({ revertAfterMs }: RevertOptions): number | undefined {
  if (revertAfterMs === undefined) return undefined;
  if (!Number.isInteger(revertAfterMs) || revertAfterMs < 1 || revertAfterMs > MAX_REVERT_AFTER_MS) {
    throw new OperationError(`revertAfterMs must be a whole number of ms from 1 to ${MAX_REVERT_AFTER_MS}, got ${revertAfterMs}`);
  }
  return revertAfterMs;
}

function unreached(failures: Map<string, string>): { unreached?: string[] } {
  return failures.size === 0 ? {} : { unreached: [...failures.keys()] };
}
