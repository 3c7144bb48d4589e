// `member add|promote|remove` and `transfer-leader`: membership changes through the operations in
// src/main/ops, which check safety and carry each change through elections.
import { isMemberUrl, MEMBER_ID_PATTERN } from '../../shared/protocol/fields.ts';
import { addMember, removeMember, transferLeadership, type MembershipProgress } from '../ops/membership.ts';
import { UsageError } from './args.ts';
import { CommandError, type Command } from './command.ts';
import type { Output } from './output.ts';

export const memberAddCommand: Command = {
  name: 'member add',
  operands: 'ID URL',
  operandCount: [2, 2],
  summary: 'add the running member ID at URL (raft-node --join): learner, catch up, promote',
  details: [
    'Adds ID as a learner, waits until it has caught up with the leader\'s log, then promotes it to voter,',
    'with a progress line (on stderr) at each step.',
  ],
  flags: { learner: 'leave it a learner (no catch-up, no promotion)' },
  reachesCluster: true,
  async run({ operands, flags, cluster, out }) {
    const id = memberId(operands[0]);
    const url = operands[1];
    if (!isMemberUrl(url)) throw new UsageError(`URL "${url}" must be a member URL: ws://HOST:PORT or wss://HOST:PORT`);
    const voter = !flags.bool('learner');
    const connection = await (await cluster()).connect();
    await addMember(connection, { id, url }, { voter, onProgress: (p) => showProgress(out, id, url, p) });
    if (out.json) out.data({ id, url, kind: voter ? 'voter' : 'learner' });
    else out.line(`${id} is a ${voter ? 'voter' : 'learner'}`);
    return 0;
  },
};

export const memberPromoteCommand: Command = {
  name: 'member promote',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'make the learner ID a voter',
  details: ['Promote a learner only once it has caught up; `member add` does both steps safely.'],
  reachesCluster: true,
  async run({ operands, cluster, out }) {
    const id = memberId(operands[0]);
    const access = await cluster();
    const connection = await access.connectToLeader();
    const admin = connection.leaderAdmin();
    const { voters, learners } = (await admin.status()).config;
    if (voters.includes(id)) throw new CommandError(`${id} is already a voter`);
    if (!learners.includes(id)) throw new CommandError(`${id} is not a learner of this cluster (learners: ${learners.join(', ') || 'none'})`);
    await admin.promoteMember(id, access.timeoutMs);
    if (out.json) out.data({ id, kind: 'voter' });
    else out.line(`${id} is a voter`);
    return 0;
  },
};

export const memberRemoveCommand: Command = {
  name: 'member remove',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'remove ID from the configuration (refused, with the reason, when unsafe)',
  details: [
    'Refused when the voters left that can be reached would not form a quorum, or a change is under way.',
    'A leader being removed first hands leadership to the most up-to-date voter.',
    'The removed member\'s process is left running; stop it yourself.',
  ],
  reachesCluster: true,
  async run({ operands, cluster, out }) {
    const id = memberId(operands[0]);
    const connection = await (await cluster()).connect();
    await removeMember(connection, id);
    if (out.json) out.data({ id, removed: true });
    else out.line(`${id} is removed from the configuration; stop its process if it still runs`);
    return 0;
  },
};

export const transferLeaderCommand: Command = {
  name: 'transfer-leader',
  operands: 'ID',
  operandCount: [1, 1],
  summary: 'hand leadership to the voter ID and wait until it leads',
  reachesCluster: true,
  async run({ operands, cluster, out }) {
    const id = memberId(operands[0]);
    const access = await cluster();
    const connection = await access.connect();
    await transferLeadership(connection, id, { timeoutMs: Math.max(access.timeoutMs, 10_000) });
    const term = connection.leader()?.status?.term ?? null;
    if (out.json) out.data({ leader: id, term });
    else out.line(`${id} leads${term === null ? '' : ` (term ${term})`}`);
    return 0;
  },
};

function showProgress(out: Output, id: string, url: string, progress: MembershipProgress): void {
  switch (progress.phase) {
    case 'adding':
      return out.progress(`adding ${id} (${url}) as a learner`);
    case 'catching-up':
      if (progress.matched === undefined) return out.progress(`waiting for ${id} to catch up`);
      return out.progress(`catching up: ${progress.matched} of ${progress.leaderLastIndex ?? '?'} entries replicated to ${id}`);
    case 'promoting':
      return out.progress(`promoting ${id} to voter`);
    case 'done':
      return out.progress('done');
  }
}

export function memberId(text: string): string {
  if (!MEMBER_ID_PATTERN.test(text)) throw new UsageError(`"${text}" is not a member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-"`);
  return text;
}
