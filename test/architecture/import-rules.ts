// The import rules of docs ARCHITECTURE.md ("imports only run downhill"), as a checker over one
// source file. Rules apply to `import type` as much as to value imports.
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { blankNonCode, lineAt, scriptText } from './source-text.ts';

const LAYERS = ['main', 'node', 'preload', 'raft', 'renderer', 'shared'] as const;
type Layer = (typeof LAYERS)[number];

interface LayerRule {
  /** Other layers under src/ it may import from. */
  layers: Layer[];
  /** npm packages it may import ('any': every package but electron). */
  packages: 'any' | string[];
  nodeBuiltins: boolean;
}

const RULES: Record<Layer, LayerRule> = {
  renderer: { layers: ['shared'], packages: 'any', nodeBuiltins: false },
  preload: { layers: ['shared'], packages: [], nodeBuiltins: false },
  main: { layers: ['shared'], packages: 'any', nodeBuiltins: true },
  node: { layers: ['raft', 'shared'], packages: 'any', nodeBuiltins: true },
  raft: { layers: [], packages: [], nodeBuiltins: false },
  shared: { layers: [], packages: ['zod'], nodeBuiltins: false },
};

/**
 * The only files that may import `electron`: the preload, and the main process's Electron shell.
 * The rest of src/main is the control plane, which raftctl and web mode run without Electron.
 */
const ELECTRON_FILES = [
  /^src\/preload\//,
  /^src\/main\/(index|window|ipc|app-protocol|web-security)\.ts$/,
];

/** Globals that would give the consensus core a clock, timers, randomness or Node APIs. */
const RAFT_FORBIDDEN_GLOBALS: [RegExp, string][] = [
  [/(?<![\w$.])Math\.random\b/g, 'Math.random: randomness comes from the injected generator'],
  [/(?<![\w$.])Date\.now\b/g, 'Date.now: the core has no clock'],
  [/(?<![\w$.])new\s+Date\b/g, 'new Date: the core has no clock'],
  [/(?<![\w$.])performance\.now\b/g, 'performance.now: the core has no clock'],
  [/(?<![\w$.])(?:setTimeout|setInterval|setImmediate)\b/g, 'timers: time passes only through tick()'],
  [/(?<![\w$.])process\./g, 'process: the core uses no Node APIs'],
  [/(?<![\w$.])require\s*\(/g, 'require: the core uses no Node APIs'],
  [/(?<![\w$.])crypto\./g, 'crypto: randomness comes from the injected generator'],
];

// `import x from 'm'`, `import type { X } from 'm'` (across lines), `import 'm'`,
// `export { x } from 'm'`, `export * from 'm'`, `export type { X } from 'm'`. They run over code whose
// strings are blanked (so that text inside strings is never taken for an import); the specifier is
// then read at the same place in the code with its strings intact.
const STATIC_IMPORT = /(?<![\w$.])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\bfrom\s*)?(['"])([^'"\n]*)\1/dg;
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*(?:(['"`])([^'"`\n]*)\1)?/dg;

export interface ImportSite {
  /** null for import(expression) */
  specifier: string | null;
  line: number;
}

/** Every module a file imports or re-exports, statically or with import(). */
export function findImports(path: string, source: string): ImportSite[] {
  const script = scriptText(path, source);
  const code = blankNonCode(script, { strings: false });
  const codeWithoutStrings = blankNonCode(script, { strings: true });
  const matches = [...codeWithoutStrings.matchAll(STATIC_IMPORT), ...codeWithoutStrings.matchAll(DYNAMIC_IMPORT)];
  return matches
    .sort((a, b) => a.index - b.index)
    .map((match) => {
      const quoted = match.indices?.[2];
      return { specifier: quoted ? code.slice(quoted[0], quoted[1]) : null, line: lineAt(code, match.index) };
    });
}

function layerOf(path: string): Layer | null {
  const [root, layer] = path.split('/');
  return root === 'src' && (LAYERS as readonly string[]).includes(layer) ? (layer as Layer) : null;
}

function isNodeBuiltin(specifier: string): boolean {
  return (
    specifier.startsWith('node:') ||
    builtinModules.includes(specifier) ||
    builtinModules.includes(specifier.split('/')[0])
  );
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Why `specifier`, imported by `path` (in `layer`), breaks a rule; null when it is allowed. */
function importViolation(path: string, layer: Layer, specifier: string): string | null {
  const rule = RULES[layer];
  if (specifier === 'electron' || specifier.startsWith('electron/')) {
    return ELECTRON_FILES.some((allowed) => allowed.test(path))
      ? null
      : 'only src/preload and the Electron shell files of src/main may import electron';
  }
  if (isNodeBuiltin(specifier)) {
    return rule.nodeBuiltins ? null : `src/${layer} may not import Node built-in modules`;
  }
  let target: string | null = null;
  if (specifier.startsWith('.')) target = posix.normalize(posix.join(posix.dirname(path), specifier));
  else if (specifier.startsWith('@shared/')) target = `src/shared/${specifier.slice('@shared/'.length)}`;
  if (target !== null) {
    const targetLayer = layerOf(target);
    if (targetLayer === null) return `src/${layer} may only import from the layers under src/`;
    if (targetLayer === layer || rule.layers.includes(targetLayer)) return null;
    const allowed = rule.layers.length > 0 ? rule.layers.map((name) => `src/${name}`).join(', ') : 'nothing outside it';
    return `src/${layer} may not import src/${targetLayer} (allowed: ${allowed})`;
  }
  const name = packageName(specifier);
  if (rule.packages === 'any' || rule.packages.includes(name)) return null;
  return `src/${layer} may not import the package ${name}`;
}

/** Every rule that the file at `path` (relative to the repository, like src/raft/log.ts) breaks. */
export function checkSource(path: string, source: string): string[] {
  const layer = layerOf(path);
  if (layer === null) return [`${path}: not inside a layer folder (src/${LAYERS.join('|')})`];
  const violations: string[] = [];
  for (const { specifier, line } of findImports(path, source)) {
    const reason =
      specifier === null
        ? 'import() with a computed specifier cannot be checked; name the module'
        : importViolation(path, layer, specifier);
    if (reason !== null) violations.push(`${path}:${line} imports ${specifier ?? '(expression)'}: ${reason}`);
  }
  if (layer === 'raft') {
    const code = blankNonCode(source, { strings: true });
    for (const [pattern, reason] of RAFT_FORBIDDEN_GLOBALS) {
      for (const match of code.matchAll(pattern)) {
        violations.push(`${path}:${lineAt(code, match.index)} uses ${reason}`);
      }
    }
  }
  return violations;
}
