// The wire protocols of `/client` and `/admin`, shared by raft-node, the control plane, raftctl
// and the renderer. Renderer-safe: no Node APIs, only zod.
export * from './admin.ts';
export * from './admin-events.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './fields.ts';
export type { FrameParseResult, RequestParseFailure, RequestParseResult } from './frame.ts';
export * from './limits.ts';
export * from './node-status.ts';
export * from './utf8.ts';
