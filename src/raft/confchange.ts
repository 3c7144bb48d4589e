// Membership changes: how they are encoded in a log entry and how they change a configuration.
import { EntryType, type ConfChange, type ConfState, type Entry, type NodeId } from './types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const EMPTY_CONF: ConfState = Object.freeze({ voters: [], learners: [], urls: {} }) as ConfState;

export function encodeConfChange(change: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(change));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  return JSON.parse(decoder.decode(data)) as ConfChange;
}

/** The first entry of every bootstrapped log: the whole initial configuration, committed. */
export function bootstrapEntry(conf: ConfState): Entry {
  return { term: 1, index: 1, type: EntryType.Conf, data: encodeConfChange({ type: 'bootstrap', conf }) };
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/** Why `change` cannot apply to `conf`, or undefined when it can. */
export function confChangeError(conf: ConfState, change: ConfChange): 'unknown-member' | 'already-member' | undefined {
  switch (change.type) {
    case 'bootstrap':
      return undefined;
    case 'add-learner':
    case 'add-voter':
      return isMember(conf, change.id) ? 'already-member' : undefined;
    case 'promote':
      return conf.learners.includes(change.id) ? undefined : 'unknown-member';
    case 'remove':
      return isMember(conf, change.id) ? undefined : 'unknown-member';
  }
}

/** The configuration after `change`. An invalid change leaves the configuration as it was. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  if (confChangeError(conf, change)) return conf;
  const without = (ids: NodeId[], id: NodeId) => ids.filter((x) => x !== id);
  switch (change.type) {
    case 'bootstrap':
      return cloneConf(change.conf);
    case 'add-learner':
      return { voters: [...conf.voters], learners: [...conf.learners, change.id], urls: { ...conf.urls, [change.id]: change.url } };
    case 'add-voter':
      return { voters: [...conf.voters, change.id], learners: [...conf.learners], urls: { ...conf.urls, [change.id]: change.url } };
    case 'promote':
      return { voters: [...conf.voters, change.id], learners: without(conf.learners, change.id), urls: { ...conf.urls } };
    case 'remove': {
      const urls = { ...conf.urls };
      delete urls[change.id];
      return { voters: without(conf.voters, change.id), learners: without(conf.learners, change.id), urls };
    }
  }
}

export function cloneConf(conf: ConfState): ConfState {
  return { voters: [...conf.voters], learners: [...conf.learners], urls: { ...conf.urls } };
}
