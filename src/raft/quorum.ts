// Majority arithmetic over a set of voters.
import type { NodeId } from './types.ts';

/** The largest index that a majority of `voters` have matched. */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)];
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const majority = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= majority) return 'won';
  if (rejected > voters.length - majority) return 'lost';
  return 'pending';
}

export function hasMajority(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  return voters.filter(isActive).length >= Math.floor(voters.length / 2) + 1;
}
