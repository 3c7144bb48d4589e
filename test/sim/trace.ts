// The event trace of a simulated run: a ring of the last events, formatted only when printed.
import { MessageType } from '../../src/raft/types.ts';
import type { Entry, Message, NodeId } from '../../src/raft/types.ts';

interface TraceEvent {
  t: number;
  kind: string;
  node: NodeId;
  msg?: Message;
  note?: string;
}

export class Trace {
  private readonly ring: TraceEvent[] = [];
  private next = 0;

  /** `capacity` Infinity keeps every event (determinism checks). */
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`trace capacity must be >= 1, got ${capacity}`);
  }

  add(e: TraceEvent): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(e);
      return;
    }
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The kept events, oldest first, one readable line each. */
  lines(): string[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].map(formatEvent);
  }
}

function formatEvent(e: TraceEvent): string {
  const parts = [`t=${e.t}`, e.kind, e.node];
  if (e.msg) parts.push(formatMessage(e.msg));
  if (e.note) parts.push(e.note);
  return parts.join(' ');
}

function span(entries: Entry[]): string {
  if (entries.length === 0) return '[]';
  const first = entries[0];
  const last = entries[entries.length - 1];
  return entries.length === 1 ? `[${first.index}@${first.term}]` : `[${first.index}@${first.term}..${last.index}@${last.term}]`;
}

function formatMessage(m: Message): string {
  const head = `${MessageType[m.type]} ${m.from}->${m.to} term=${m.term}`;
  const ctx = m.context ? ` ctx=${m.context}` : '';
  switch (m.type) {
    case MessageType.App:
      return `${head} prev=${m.index}@${m.logTerm} commit=${m.commit} ents=${span(m.entries)}`;
    case MessageType.AppResp:
      return m.reject
        ? `${head} REJECT index=${m.index} hint=${m.rejectHint} logTerm=${m.logTerm}`
        : `${head} match=${m.index}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit}${ctx}`;
    case MessageType.PreVote:
    case MessageType.Vote:
      return `${head} last=${m.index}@${m.logTerm}${ctx}`;
    case MessageType.PreVoteResp:
    case MessageType.VoteResp:
      return `${head} ${m.reject ? 'REJECT' : 'grant'}`;
    case MessageType.Snap:
      return `${head} snap=${m.snapshot?.meta.index}@${m.snapshot?.meta.term}`;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResp:
      return `${head} index=${m.index}${ctx}`;
    default:
      return `${head}${ctx}`;
  }
}
