// The adversary of a Jepsen-style run: one fault at a time on a bounded schedule (a quiet moment,
// inject, hold, heal), each round of faults a fresh random order of SIGKILL + restart, SIGSTOP + SIGCONT, partitions
// through the `fault` admin op, and membership churn (remove a voter, wipe it, add a new member
// under a fresh id as a learner, promote it). Every step is logged; a step that fails is logged
// and healed, never fatal: the history check is the judge.
import type { NodeStatus } from '../../../../src/shared/protocol/node-status.ts';
import type { TestCluster } from '../cluster.ts';
import { sleep } from '../node-process.ts';
import { waitUntil } from '../wait.ts';

export type FaultKind = 'kill' | 'kill-leader' | 'pause' | 'pause-leader' | 'partition-leader' | 'partition-random' | 'membership';

export interface NemesisOptions {
  cluster: TestCluster;
  kinds: readonly FaultKind[];
  /** The schedule stops starting new faults after this long. */
  durationMs: number;
  /** How long a fault is held before it is healed: uniform in [min, max]. */
  holdMs: { min: number; max: number };
  /** Calm before each fault. */
  quietMs: number;
  random?: () => number;
}

export interface NemesisStep {
  at: number;
  kind: FaultKind;
  detail: string;
  error?: string;
}

type AdminAnswer = { ok: boolean; error?: { code: string; message: string } };

export class Nemesis {
  readonly steps: NemesisStep[] = [];
  private readonly random: () => number;
  private readonly started = performance.now();
  /** Ids are never reused: a re-added member gets the next one. */
  private nextMemberNumber: number;

  constructor(private readonly options: NemesisOptions) {
    this.random = options.random ?? Math.random;
    this.nextMemberNumber = options.cluster.members.size + 1;
  }

  async run(): Promise<void> {
    const end = performance.now() + this.options.durationMs;
    let round: FaultKind[] = [];
    while (performance.now() < end) {
      await sleep(this.options.quietMs);
      if (round.length === 0) round = this.shuffle(this.options.kinds);
      const kind = round.pop() as FaultKind;
      const step: NemesisStep = { at: Math.round(performance.now() - this.started), kind, detail: '' };
      this.steps.push(step);
      try {
        await this.inject(kind, step);
      } catch (error) {
        step.error = (error as Error).message.slice(0, 300);
      }
      try {
        await this.healAll();
      } catch (error) {
        step.error = `${step.error ?? ''} heal: ${(error as Error).message.slice(0, 300)}`;
      }
    }
  }

  /** Resumes paused members, restarts dead ones, and clears every member's faults. */
  async healAll(): Promise<void> {
    const { cluster } = this.options;
    for (const member of cluster.members.values()) if (cluster.isPaused(member.id)) cluster.resume(member.id);
    for (const member of [...cluster.members.values()]) if (!member.process.running) await cluster.restart(member.id);
    await Promise.all([...cluster.members.keys()].map((id) => this.admin(id, { op: 'fault', clear: true })));
  }

  private async inject(kind: FaultKind, step: NemesisStep): Promise<void> {
    const { cluster } = this.options;
    switch (kind) {
      case 'kill':
      case 'kill-leader': {
        const target = kind === 'kill' ? this.anyMember() : await this.leader();
        step.detail = `SIGKILL ${target}`;
        await cluster.kill(target);
        await this.hold();
        return;
      }
      case 'pause':
      case 'pause-leader': {
        const target = kind === 'pause' ? this.anyMember() : await this.leader();
        step.detail = `SIGSTOP ${target}`;
        cluster.pause(target);
        await this.hold();
        return;
      }
      case 'partition-leader':
      case 'partition-random': {
        const ids = [...cluster.members.keys()];
        const leader = kind === 'partition-leader' ? await this.leader() : undefined;
        const minority = leader ? [leader] : this.shuffle(ids).slice(0, Math.floor((ids.length - 1) / 2) || 1);
        const majority = ids.filter((id) => !minority.includes(id));
        step.detail = `partition ${minority.join(',')} | ${majority.join(',')}`;
        await Promise.all([
          ...minority.map((id) => this.admin(id, { op: 'fault', set: { dropTo: majority, dropFrom: majority } })),
          ...majority.map((id) => this.admin(id, { op: 'fault', set: { dropTo: minority, dropFrom: minority } })),
        ]);
        await this.hold();
        return;
      }
      case 'membership':
        return this.replaceMember(step);
    }
  }

  /** Removes a voter other than the leader, wipes it, and brings a new member in under a fresh id. */
  private async replaceMember(step: NemesisStep): Promise<void> {
    const { cluster } = this.options;
    const leaderStatus = await this.leaderStatus();
    const candidates = leaderStatus.config.voters.filter((id) => id !== leaderStatus.id && cluster.members.has(id));
    if (candidates.length === 0) throw new Error('no voter to remove');
    const victim = this.shuffle(candidates)[0];
    const fresh = `n${this.nextMemberNumber++}`;
    step.detail = `remove ${victim}, add ${fresh}`;
    await this.onLeader({ op: 'remove-member', memberId: victim });
    await cluster.discard(victim);
    const joiner = await cluster.startJoiner(fresh);
    await this.onLeader({ op: 'add-member', memberId: fresh, url: joiner.url, learner: true });
    await waitUntil(`${fresh} to catch up`, 15_000, async () => {
      const [leader, learner] = await Promise.all([this.leaderStatus(), cluster.status(fresh)]);
      return learner.appliedIndex >= leader.commitIndex ? true : undefined;
    });
    await this.onLeader({ op: 'promote-member', memberId: fresh });
    step.detail += ', promoted';
  }

  /** Sends an admin request to whoever leads, following leadership changes, for up to 20 s. */
  private async onLeader(body: Record<string, unknown>): Promise<void> {
    await waitUntil(`${JSON.stringify(body)} to be accepted by a leader`, 20_000, async () => {
      const leader = await this.leader();
      const answer = await this.options.cluster.admin(leader).then((a) => a.request<AdminAnswer>(body, 15_000));
      if (answer.ok) return true;
      throw new Error(`${answer.error?.code}: ${answer.error?.message}`);
    }, 200);
  }

  private async admin(id: string, body: Record<string, unknown>): Promise<void> {
    const answer = await (await this.options.cluster.admin(id)).request<AdminAnswer>(body, 5000);
    if (!answer.ok) throw new Error(`${JSON.stringify(body)} on ${id}: ${answer.error?.code} ${answer.error?.message}`);
  }

  private async leader(): Promise<string> {
    return (await this.leaderStatus()).id;
  }

  /** The status of the member that leads in the highest term, waiting up to 10 s for one. */
  private leaderStatus(): Promise<NodeStatus> {
    const { cluster } = this.options;
    return waitUntil('a leader', 10_000, async () => {
      const running = [...cluster.members.values()].filter((m) => m.process.running && !cluster.isPaused(m.id));
      const statuses = await Promise.all(running.map((m) => cluster.status(m.id, 1000).catch(() => undefined)));
      return statuses.filter((s) => s?.role === 'leader').sort((a, b) => (b?.term ?? 0) - (a?.term ?? 0))[0];
    });
  }

  private anyMember(): string {
    const ids = [...this.options.cluster.members.keys()];
    return ids[Math.floor(this.random() * ids.length)];
  }

  private hold(): Promise<void> {
    const { min, max } = this.options.holdMs;
    return sleep(min + this.random() * (max - min));
  }

  private shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
}
