// Enforces the layer rules of ARCHITECTURE.md over every source file in src/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { checkSource, findImports } from './import-rules.ts';
import { listSourceFiles } from './source-text.ts';

const ROOT = join(import.meta.dirname, '../..');

function repoPath(file: string): string {
  return relative(ROOT, file).split(sep).join('/');
}

describe('import rules', () => {
  it('every file in src/ imports only what its layer may', () => {
    const files = listSourceFiles(join(ROOT, 'src'));
    const violations = files.flatMap((file) => checkSource(repoPath(file), readFileSync(file, 'utf8')));
    assert.deepEqual(violations, [], `Import rules broken (see /work/shared/ARCHITECTURE.md):\n${violations.join('\n')}`);
  });

  it('the walk sees the app shell and its imports', () => {
    const files = listSourceFiles(join(ROOT, 'src')).map(repoPath);
    for (const expected of ['src/main/index.ts', 'src/preload/index.ts', 'src/renderer/src/App.vue']) {
      assert.ok(files.includes(expected), `${expected} not found by the walk`);
    }
    const app = readFileSync(join(ROOT, 'src/renderer/src/App.vue'), 'utf8');
    assert.ok(findImports('src/renderer/src/App.vue', app).some((site) => site.specifier === './stores/app.ts'));
  });

  describe('the checker', () => {
    it('reads every import form, with its line', () => {
      const source = [
        "import a from './a.ts';",
        'import type {',
        '  B,',
        "} from './b.ts';",
        "import './c.css';",
        "export { d } from './d.ts';",
        "export * from './e.ts';",
        "export type { F } from './f.ts';",
        "const g = await import('./g.ts');",
        "type H = import('./h.ts').H;",
        'const i = await import(name);',
        "// import j from './j.ts';",
        "const k = 'import l from \"./l.ts\"';",
        'const m = import.meta.dirname;',
      ].join('\n');
      assert.deepEqual(findImports('src/node/x.ts', source), [
        { specifier: './a.ts', line: 1 },
        { specifier: './b.ts', line: 2 },
        { specifier: './c.css', line: 5 },
        { specifier: './d.ts', line: 6 },
        { specifier: './e.ts', line: 7 },
        { specifier: './f.ts', line: 8 },
        { specifier: './g.ts', line: 9 },
        { specifier: './h.ts', line: 10 },
        { specifier: null, line: 11 },
      ]);
    });

    it('reads only the script blocks of a Vue component', () => {
      const source = [
        '<script setup lang="ts">',
        "import { ref } from 'vue';",
        '</script>',
        '<template><p>Don\'t import x from "y"</p></template>',
      ].join('\n');
      assert.deepEqual(findImports('src/renderer/src/X.vue', source), [{ specifier: 'vue', line: 2 }]);
    });

    it('allows the imports each layer may make', () => {
      const allowed: [string, string][] = [
        ['src/renderer/src/App.vue', "<script setup lang=\"ts\">\nimport type { AppVersion } from '@shared/api.ts';\nimport { ref } from 'vue';\n</script>"],
        ['src/renderer/src/stores/app.ts', "import type { AppVersion } from '../../../shared/api.ts';"],
        ['src/preload/index.ts', "import { contextBridge } from 'electron';\nimport { API_CHANNELS } from '../shared/api.ts';"],
        ['src/main/window.ts', "import { BrowserWindow } from 'electron';"],
        ['src/main/hosting.ts', "import { spawn } from 'node:child_process';\nimport { WebSocket } from 'ws';\nimport type { NodeStatus } from '../shared/admin.ts';"],
        ['src/node/server.ts', "import { RawNode } from '../raft/raw-node.ts';\nimport { readFile } from 'fs/promises';"],
        ['src/raft/raft.ts', "import type { Entry } from './types.ts';\n// Date.now() is never called here\nconst note = 'no Math.random()';"],
        ['src/shared/admin.ts', "import { z } from 'zod';"],
      ];
      for (const [path, source] of allowed) assert.deepEqual(checkSource(path, source), [], path);
    });

    it('reports each broken rule with file, line and reason', () => {
      const broken: [string, string, string][] = [
        ['src/renderer/src/x.ts', "\nimport { readFile } from 'node:fs';", 'src/renderer/src/x.ts:2 imports node:fs: src/renderer may not import Node built-in modules'],
        ['src/renderer/src/x.ts', "import { ipcRenderer } from 'electron';", 'src/renderer/src/x.ts:1 imports electron: only src/preload and the Electron shell files of src/main may import electron'],
        ['src/renderer/src/x.ts', "import type { Status } from '../../main/status.ts';", 'src/renderer/src/x.ts:1 imports ../../main/status.ts: src/renderer may not import src/main (allowed: src/shared)'],
        ['src/preload/index.ts', "import WebSocket from 'ws';", 'src/preload/index.ts:1 imports ws: src/preload may not import the package ws'],
        ['src/main/hosting.ts', "import { app } from 'electron';", 'src/main/hosting.ts:1 imports electron: only src/preload and the Electron shell files of src/main may import electron'],
        ['src/main/hosting.ts', "import { startNode } from '../node/main.ts';", 'src/main/hosting.ts:1 imports ../node/main.ts: src/main may not import src/node (allowed: src/shared)'],
        ['src/main/hosting.ts', "import type { Entry } from '../raft/types.ts';", 'src/main/hosting.ts:1 imports ../raft/types.ts: src/main may not import src/raft (allowed: src/shared)'],
        ['src/main/hosting.ts', "const m = await import(path);", 'src/main/hosting.ts:1 imports (expression): import() with a computed specifier cannot be checked; name the module'],
        ['src/main/hosting.ts', "import pkg from '../../package.json';", 'src/main/hosting.ts:1 imports ../../package.json: src/main may only import from the layers under src/'],
        ['src/node/wal.ts', "export * from '../main/x.ts';", 'src/node/wal.ts:1 imports ../main/x.ts: src/node may not import src/main (allowed: src/raft, src/shared)'],
        ['src/raft/log.ts', "import { z } from 'zod';", 'src/raft/log.ts:1 imports zod: src/raft may not import the package zod'],
        ['src/raft/log.ts', "import { readFileSync } from 'fs';", 'src/raft/log.ts:1 imports fs: src/raft may not import Node built-in modules'],
        ['src/raft/log.ts', "import type { Wire } from '../shared/wire.ts';", 'src/raft/log.ts:1 imports ../shared/wire.ts: src/raft may not import src/shared (allowed: nothing outside it)'],
        ['src/raft/raft.ts', 'const r = Math.random();', 'src/raft/raft.ts:1 uses Math.random: randomness comes from the injected generator'],
        ['src/raft/raft.ts', 'const t = Date.now();', 'src/raft/raft.ts:1 uses Date.now: the core has no clock'],
        ['src/raft/raft.ts', 'const t = new Date();', 'src/raft/raft.ts:1 uses new Date: the core has no clock'],
        ['src/raft/raft.ts', 'const t = performance.now();', 'src/raft/raft.ts:1 uses performance.now: the core has no clock'],
        ['src/raft/raft.ts', '\n\nsetTimeout(() => {}, 1);', 'src/raft/raft.ts:3 uses timers: time passes only through tick()'],
        ['src/raft/raft.ts', 'setInterval(tick, 10);', 'src/raft/raft.ts:1 uses timers: time passes only through tick()'],
        ['src/raft/raft.ts', 'if (process.env.DEBUG) {}', 'src/raft/raft.ts:1 uses process: the core uses no Node APIs'],
        ['src/raft/raft.ts', "const fs = require('fs');", 'src/raft/raft.ts:1 uses require: the core uses no Node APIs'],
        ['src/raft/raft.ts', 'const id = crypto.randomUUID();', 'src/raft/raft.ts:1 uses crypto: randomness comes from the injected generator'],
        ['src/shared/api.ts', "import { readFile } from 'node:fs/promises';", 'src/shared/api.ts:1 imports node:fs/promises: src/shared may not import Node built-in modules'],
        ['src/shared/api.ts', "import pino from 'pino';", 'src/shared/api.ts:1 imports pino: src/shared may not import the package pino'],
        ['src/stray.ts', '', 'src/stray.ts: not inside a layer folder (src/main|node|preload|raft|renderer|shared)'],
      ];
      for (const [path, source, expected] of broken) assert.deepEqual(checkSource(path, source), [expected]);
    });

    it('does not mistake methods and properties for the globals the core may not use', () => {
      const source = 'this.process.step(m);\nrng.random();\nclock.setTimeout(1);\nconst { now } = this.time;';
      assert.deepEqual(checkSource('src/raft/raft.ts', source), []);
    });
  });
});
