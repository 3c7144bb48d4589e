export { Raft } from './raft.ts';
export { bootstrapEntry, decodeConfChange, encodeConfChange, EMPTY_CONF } from './confchange.ts';
export * from './types.ts';
