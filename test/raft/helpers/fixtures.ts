// Building blocks for driving one Raft core by hand: configs, persisted states, messages, and
// a loop that takes Ready batches the way a node would.
import { Raft } from '../../../src/raft/raft.ts';
import { bootstrapEntry } from '../../../src/raft/confchange.ts';
import { EntryType, MessageType, NONE } from '../../../src/raft/types.ts';
import type {
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  PersistedState,
  RaftConfig,
  Ready,
} from '../../../src/raft/types.ts';

/** A small deterministic generator in [0, 1) (mulberry32), so every run is replayable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ['n1', ..., 'n<size>'] */
export function ids(size: number): NodeId[] {
  return Array.from({ length: size }, (_, i) => `n${i + 1}`);
}

export function confOf(voters: NodeId[], learners: NodeId[] = []): ConfState {
  const urls: Record<NodeId, string> = {};
  for (const id of [...voters, ...learners]) urls[id] = `ws://${id}`;
  return { voters, learners, urls };
}

export function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

/**
 * A persisted log: the bootstrap entry (index 1, term 1) for `voters`, then one entry per
 * element of `laterTerms` at indexes 2, 3, ...
 */
export function logState(
  voters: NodeId[],
  laterTerms: number[] = [],
  hardState: Partial<HardState> = {},
  learners: NodeId[] = [],
): PersistedState {
  const entries = [bootstrapEntry(confOf(voters, learners)), ...laterTerms.map((t, i) => entry(i + 2, t))];
  const lastTerm = entries[entries.length - 1].term;
  return { hardState: { term: lastTerm, vote: NONE, commit: 1, ...hardState }, entries };
}

export interface TestOptions extends Partial<Omit<RaftConfig, 'id'>> {
  seed?: number;
}

export function config(id: NodeId, opts: TestOptions = {}): RaftConfig {
  const { seed, ...rest } = opts;
  return {
    id,
    electionTicksMin: 10,
    electionTicksMax: 20,
    heartbeatTicks: 1,
    random: seededRandom(seed ?? 1),
    preVote: false,
    checkQuorum: false,
    ...rest,
  };
}

export function newRaft(id: NodeId, persisted: PersistedState, opts: TestOptions = {}): Raft {
  return new Raft(config(id, opts), persisted);
}

/** A message with every unused field zeroed, as the core sends them. */
export function msg(type: MessageType, from: NodeId, to: NodeId, term: number, fields: Partial<Message> = {}): Message {
  return {
    type,
    from,
    to,
    term,
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: '',
    ...fields,
  };
}

/** Takes every pending Ready (calling advance() after each), as a node with instant I/O would. */
export function drain(r: Raft): Ready[] {
  const batches: Ready[] = [];
  for (let i = 0; i < 1000 && r.hasReady(); i++) {
    batches.push(r.ready());
    r.advance();
  }
  if (r.hasReady()) throw new Error('core still has a Ready after 1000 batches');
  return batches;
}

export function drainMessages(r: Raft): Message[] {
  return drain(r).flatMap((rd) => rd.messages);
}

export function drainCommitted(r: Raft): Entry[] {
  return drain(r).flatMap((rd) => rd.committedEntries);
}

export function ticks(r: Raft, n: number): void {
  for (let i = 0; i < n; i++) r.tick();
}

/** A reply that accepts an App message as if the follower appended every entry in it. */
export function acceptApp(m: Message): Message {
  return msg(MessageType.AppResp, m.to, m.from, m.term, { index: m.index + m.entries.length });
}

/**
 * Makes `r` leader by campaigning and granting every (pre-)vote it asks for. The new leader's
 * first Ready (with its no-op) is left pending.
 */
export function elect(r: Raft): void {
  r.campaign();
  for (let round = 0; round < 3 && r.status().role !== 'leader'; round++) {
    for (const m of drainMessages(r)) {
      if (m.type === MessageType.PreVote) r.step(msg(MessageType.PreVoteResp, m.to, m.from, m.term));
      if (m.type === MessageType.Vote) r.step(msg(MessageType.VoteResp, m.to, m.from, m.term));
    }
  }
  if (r.status().role !== 'leader') throw new Error(`${r.status().id} did not become leader`);
}

/** Elects `r`, has every follower accept its no-op, and drains everything that follows. */
export function electAndCommitNoop(r: Raft): void {
  elect(r);
  for (const m of drainMessages(r)) {
    if (m.type === MessageType.App) r.step(acceptApp(m));
  }
  drain(r);
  const s = r.status();
  if (s.commit !== s.lastIndex) throw new Error(`no-op not committed: commit ${s.commit}, last ${s.lastIndex}`);
}
