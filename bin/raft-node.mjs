#!/usr/bin/env node
// raft-node: one Raft member (see src/node/cli.ts). The sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/node/cli.ts');
