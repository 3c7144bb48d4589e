// The randomized adversary of a simulated run: a workload of unique proposals and reads, plus
// crashes (also in the middle of handling a Ready), restarts, partitions, clock drift, membership
// churn (add learner -> promote, add voter, remove, always with fresh ids) and leadership transfers.
import type { NodeId } from '../../src/raft/types.ts';
import { SIM_URL, type Cluster, type CrashPoint } from './cluster.ts';
import type { NetworkOptions } from './network.ts';
import type { Rng } from './rng.ts';

/** How hard one seed shakes the cluster; drawn once per seed. */
export interface Profile {
  network: NetworkOptions;
  compactEvery: number;
  /** Replication flow control: Apps in flight per follower, and entry bytes per App. */
  maxInflight: number;
  maxBytesPerMsg: number;
  /** Membership never shrinks below this many voters. */
  minVoters: number;
  /** Chance that a new member joins as a voter at once instead of as a learner. */
  addVoterChance: number;
  proposeRate: number;
  readRate: number;
  crashRate: number;
  restartRate: number;
  partitionRate: number;
  healRate: number;
  confChangeRate: number;
  transferRate: number;
  tickSkipRate: number;
}

export function drawProfile(rng: Rng): Profile {
  return {
    network: {
      dropRate: rng.pick([0, 0.01, 0.05, 0.1]),
      duplicateRate: rng.pick([0, 0.01, 0.05]),
      minDelay: 1,
      maxDelay: rng.pick([1, 2, 3, 4, 8]),
    },
    compactEvery: rng.pick([2, 5, 10, 20, 40]),
    maxInflight: rng.pick([1, 4, 64]),
    maxBytesPerMsg: rng.pick([1, 64 * 1024]),
    minVoters: rng.pick([1, 3, 3]),
    addVoterChance: rng.pick([0, 0.3]),
    proposeRate: rng.pick([0.1, 0.3, 0.6]),
    readRate: rng.pick([0, 0.02, 0.1]),
    crashRate: rng.pick([0, 0.003, 0.01]),
    restartRate: rng.pick([0.02, 0.1]),
    partitionRate: rng.pick([0, 0.005, 0.02]),
    healRate: rng.pick([0.02, 0.05]),
    confChangeRate: rng.pick([0.005, 0.02]),
    transferRate: rng.pick([0, 0.003, 0.01]),
    tickSkipRate: rng.pick([0, 0.02]),
  };
}

const CRASH_POINTS: CrashPoint[] = ['before-persist', 'after-persist', 'after-send', 'before-advance'];

export class Nemesis {
  private proposals = 0;
  private reads = 0;
  private nextId: number;
  /** Removed members, shut down a little after their removal commits. */
  private readonly toDecommission = new Map<NodeId, number>();
  private readonly maxMembers: number;

  constructor(
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    private readonly profile: Profile,
    private readonly label: string,
  ) {
    this.nextId = cluster.ids().length + 1;
    this.maxMembers = cluster.ids().length + 2;
    cluster.skipTick = profile.tickSkipRate > 0 ? () => rng.chance(profile.tickSkipRate) : undefined;
    cluster.onRemoved = (id) => this.toDecommission.set(id, cluster.now + rng.between(0, 30));
  }

  /** One step's worth of mischief, before the cluster steps. */
  act(): void {
    const { cluster, rng, profile: p } = this;
    this.decommissionDue();
    if (rng.chance(p.proposeRate)) this.propose();
    if (rng.chance(p.readRate)) this.read();
    if (rng.chance(p.crashRate)) this.crash();
    for (const n of cluster.nodes.values()) {
      if (!n.up && !n.decommissioned && rng.chance(p.restartRate)) cluster.restart(n.id);
    }
    if (cluster.net.isPartitioned()) {
      if (rng.chance(p.healRate)) cluster.heal();
    } else if (rng.chance(p.partitionRate)) {
      this.partition();
    }
    if (rng.chance(p.confChangeRate)) this.changeMembership();
    if (rng.chance(p.transferRate)) this.transfer();
  }

  /** Faults stop: the network heals and turns reliable, crashed members come back, churn ends. */
  calm(): void {
    const { cluster } = this;
    cluster.heal();
    cluster.cancelPlannedCrashes();
    cluster.net.setOptions({ dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 2 });
    cluster.skipTick = undefined;
    for (const n of cluster.nodes.values()) if (!n.up && !n.decommissioned) cluster.restart(n.id);
  }

  nextPayload(): string {
    return `${this.label}-p${++this.proposals}`;
  }

  private propose(): void {
    const leaders = this.cluster.upNodes().filter((n) => n.role === 'leader');
    if (leaders.length > 0) this.cluster.propose(this.rng.pick(leaders).id, this.nextPayload());
  }

  private read(): void {
    const up = this.cluster.upNodes();
    if (up.length > 0) this.cluster.readIndex(this.rng.pick(up).id, `${this.label}-r${++this.reads}`);
  }

  private crash(): void {
    const { cluster, rng } = this;
    const members = [...cluster.nodes.values()].filter((n) => !n.decommissioned);
    const down = members.filter((n) => !n.up).length;
    const up = members.filter((n) => n.up);
    // Crash at most a minority at a time, so runs keep making progress between faults.
    if (up.length === 0 || down + 1 > Math.floor((members.length - 1) / 2)) return;
    const victim = rng.pick(up).id;
    if (rng.chance(0.5)) cluster.crash(victim);
    else cluster.planCrash(victim, rng.pick(CRASH_POINTS));
  }

  private partition(): void {
    const { cluster, rng } = this;
    const ids = cluster.upNodes().map((n) => n.id);
    if (ids.length < 2) return;
    const leader = cluster.leader();
    switch (rng.int(4)) {
      case 0:
        cluster.isolate(rng.pick(ids));
        break;
      case 1:
        if (leader) cluster.isolate(leader.id);
        break;
      case 2: {
        const shuffled = rng.shuffle([...ids]);
        const cutAt = rng.between(1, shuffled.length - 1);
        cluster.partition([shuffled.slice(0, cutAt), shuffled.slice(cutAt)]);
        break;
      }
      default: {
        const [a, b] = rng.shuffle([...ids]);
        cluster.cutOneWay(a, b);
      }
    }
  }

  private changeMembership(): void {
    const { cluster, rng } = this;
    const leader = cluster.leader();
    if (!leader) return;
    const status = leader.status();
    const { voters, learners } = status.conf;
    const options: Array<() => void> = [];
    if (voters.length + learners.length < this.maxMembers) {
      options.push(() => {
        const id = `n${this.nextId++}`;
        const type = rng.chance(this.profile.addVoterChance) ? 'add-voter' : 'add-learner';
        const result = cluster.proposeConfChange(leader.id, { type, id, url: SIM_URL(id) });
        if (result.ok) cluster.addJoiner(id);
      });
    }
    const caughtUp = learners.filter((id) => (status.progress?.[id]?.match ?? 0) >= status.commit);
    if (caughtUp.length > 0) options.push(() => cluster.proposeConfChange(leader.id, { type: 'promote', id: rng.pick(caughtUp) }));
    const removable = [...learners, ...(voters.length > this.profile.minVoters ? voters : [])];
    if (removable.length > 0) options.push(() => cluster.proposeConfChange(leader.id, { type: 'remove', id: rng.pick(removable) }));
    if (options.length > 0) rng.pick(options)();
  }

  private transfer(): void {
    const leader = this.cluster.leader();
    if (!leader) return;
    const others = leader.status().conf.voters.filter((id) => id !== leader.id);
    if (others.length > 0) this.cluster.transferLeadership(leader.id, this.rng.pick(others));
  }

  private decommissionDue(): void {
    for (const [id, at] of this.toDecommission) {
      if (at > this.cluster.now) continue;
      this.toDecommission.delete(id);
      if (this.cluster.nodes.has(id)) this.cluster.decommission(id);
    }
  }
}
