// `status` and `members`: what every member says about itself, and the configuration it agrees on.
import type { ClusterConnection, MemberView } from '../connection/cluster-connection.ts';
import type { NodeStatus } from '../../shared/protocol/node-status.ts';
import type { Command } from './command.ts';

export interface MemberRow {
  id: string | null;
  url: string;
  reachable: boolean;
  role: NodeStatus['role'] | null;
  term: number | null;
  leaderId: string | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  lastIndex: number | null;
  /** Entries behind the leader's log, from the leader's progress; 0 for the leader. */
  lag: number | null;
  /** Why it is unreachable. */
  error: string | null;
}

export const statusCommand: Command = {
  name: 'status',
  operands: '',
  operandCount: [0, 0],
  summary: 'a table of members: id, role, term, commit, applied, lag, reachable',
  details: ['Lag is how many entries a member is behind the leader\'s log, as the leader sees it.', 'Exits 1 when no member answers.'],
  reachesCluster: true,
  async run({ cluster, out }) {
    const connection = await (await cluster()).connect();
    const rows = memberRows(connection);
    const leader = connection.leader()?.status ?? null;
    if (out.json) {
      out.data({ leader: leader?.id ?? null, term: leader?.term ?? null, members: rows });
      return 0;
    }
    out.table(
      ['ID', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'LAG', 'REACHABLE'],
      rows.map((r) => [r.id ?? '?', r.role ?? '-', show(r.term), show(r.commitIndex), show(r.appliedIndex), show(r.lag), r.reachable ? 'yes' : 'no']),
    );
    out.line(leader ? `leader ${leader.id}, term ${leader.term}` : 'no leader right now');
    for (const row of rows) if (row.error !== null) out.line(`${row.id ?? row.url}: ${row.error}`);
    return 0;
  },
};

export const membersCommand: Command = {
  name: 'members',
  operands: '',
  operandCount: [0, 0],
  summary: 'the configuration: each member\'s id, URL, voter or learner',
  details: ['Read from the leader when there is one, else from the member with the highest term.'],
  reachesCluster: true,
  async run({ cluster, out }) {
    const connection = await (await cluster()).connect();
    const members = configuredMembers(connection);
    if (out.json) {
      out.data({ members });
      return 0;
    }
    out.table(
      ['ID', 'URL', 'KIND', 'ROLE', 'REACHABLE'],
      members.map((m) => [m.id, m.url, m.kind, m.role ?? '-', m.reachable ? 'yes' : 'no']),
    );
    return 0;
  },
};

export function memberRows(connection: ClusterConnection): MemberRow[] {
  const leader = connection.leader()?.status ?? undefined;
  return connection
    .memberViews()
    .sort(byId)
    .map((view) => {
      const status = view.state === 'connected' ? view.status : null;
      return {
        id: view.id,
        url: view.url,
        reachable: status !== null,
        role: status?.role ?? null,
        term: status?.term ?? null,
        leaderId: status?.leaderId ?? null,
        commitIndex: status?.commitIndex ?? null,
        appliedIndex: status?.appliedIndex ?? null,
        lastIndex: status?.lastIndex ?? null,
        lag: lagOf(view, leader),
        error: status === null ? (view.lastError ?? `no answer (${view.state})`) : null,
      };
    });
}

export interface ConfiguredMember {
  id: string;
  url: string;
  kind: 'voter' | 'learner';
  role: NodeStatus['role'] | null;
  reachable: boolean;
}

/** The members in the configuration of the best-informed member: the leader, else the highest term. */
export function configuredMembers(connection: ClusterConnection): ConfiguredMember[] {
  const source = connection.leader()?.status ?? newestStatus(connection);
  if (!source) return [];
  const { voters, learners } = source.config;
  return source.members
    .filter((m) => voters.includes(m.id) || learners.includes(m.id))
    .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }))
    .map((m) => {
      const view = connection.member(m.id);
      const status = view?.state === 'connected' ? view.status : null;
      return { id: m.id, url: m.url, kind: voters.includes(m.id) ? 'voter' : 'learner', role: status?.role ?? null, reachable: status !== null };
    });
}

function newestStatus(connection: ClusterConnection): NodeStatus | undefined {
  let newest: NodeStatus | undefined;
  for (const view of connection.memberViews()) {
    if (view.status && (!newest || view.status.term > newest.term)) newest = view.status;
  }
  return newest;
}

function lagOf(view: MemberView, leader: NodeStatus | undefined): number | null {
  if (!leader || view.id === null) return null;
  if (view.id === leader.id) return 0;
  return leader.progress?.[view.id]?.lagEntries ?? null;
}

function byId(a: MemberView, b: MemberView): number {
  if (a.id === null || b.id === null) return a.id === b.id ? a.url.localeCompare(b.url) : a.id === null ? 1 : -1;
  return a.id.localeCompare(b.id, undefined, { numeric: true });
}

function show(value: number | null): string {
  return value === null ? '-' : String(value);
}
