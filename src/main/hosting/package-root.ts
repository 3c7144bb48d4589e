// Where the raft-node program is: relative to this package's root, found by walking up from this
// file, so it is the same whatever the working directory (and from src/ or a bundled out/ alike).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'raft-manager';

export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
  }
}

/** The raft-node entry script: `bin/raft-node.mjs` in the package root. */
export function raftNodeEntry(): string {
  const entry = join(packageRoot(), 'bin', 'raft-node.mjs');
  if (!existsSync(entry)) throw new Error(`the raft-node program is missing: ${entry} does not exist`);
  return entry;
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as { name?: string }).name : undefined;
  } catch {
    return undefined;
  }
}
