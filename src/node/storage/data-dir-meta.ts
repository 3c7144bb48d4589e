// meta.json names the member and cluster a data directory belongs to, so that a node started
// with another --id or --cluster refuses it instead of mixing two members' state.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from './durable-fs.ts';
import { DataDirError } from './errors.ts';

const FORMAT = 1;

const metaSchema = z.object({ format: z.number(), id: z.string(), cluster: z.string() });

export interface DataDirMeta {
  format: number;
  id: string;
  cluster: string;
}

/** Reads and checks meta.json; undefined when the directory has none yet. */
export async function readMeta(dir: string): Promise<DataDirMeta | undefined> {
  const file = join(dir, 'meta.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataDirError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) throw new DataDirError(`${file} is invalid: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.format !== FORMAT) throw new DataDirError(`${file} has format ${parsed.data.format}; this version reads format ${FORMAT}`);
  return parsed.data;
}

export function checkMeta(dir: string, meta: DataDirMeta, id: string, cluster: string): void {
  if (meta.id !== id || meta.cluster !== cluster) {
    throw new DataDirError(
      `data directory ${dir} belongs to member "${meta.id}" of cluster "${meta.cluster}", ` +
        `not to member "${id}" of cluster "${cluster}"`,
    );
  }
}

export async function writeMeta(dir: string, id: string, cluster: string, fsync: boolean): Promise<void> {
  const meta: DataDirMeta = { format: FORMAT, id, cluster };
  await writeFileAtomically(join(dir, 'meta.json'), [Buffer.from(`${JSON.stringify(meta, null, 2)}\n`)], fsync);
}
