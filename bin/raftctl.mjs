#!/usr/bin/env node
// raftctl: the command-line control client (see src/main/raftctl/cli.ts). The sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/raftctl/cli.ts');
