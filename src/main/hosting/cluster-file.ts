// DIR/cluster.json: what a hosted cluster's folder records so that the app or `raftctl --dir DIR`
// can reopen it: the cluster name, the token file's path (never the token), the flags every node
// gets, and each member's id, URL, data directory, log file, process id and how it started.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { memberIdSchema, memberUrlSchema } from '../../shared/protocol/fields.ts';

export const CLUSTER_FILE = 'cluster.json';
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_MEMBERS = 7;

export interface ClusterFileMember {
  id: string;
  /** The member's base URL, `ws://127.0.0.1:PORT`: other members know it by this URL. */
  url: string;
  dataDir: string;
  logFile: string;
  /** The process while it runs; null when it is not running. */
  pid: number | null;
  /** true: started with --join and added later; false: one of the members that bootstrapped the cluster. */
  joined: boolean;
}

export interface ClusterFile {
  version: 1;
  name: string;
  /** Absolute path of the file holding the token. */
  tokenFile: string;
  /** Extra raft-node flags every member gets (timeouts, snapshot threshold, fsync). */
  nodeArgs: string[];
  /** The voters the cluster bootstrapped with, as given to --peers. */
  bootstrap: { id: string; url: string }[];
  members: ClusterFileMember[];
}

/** Flags LocalCluster sets itself; nodeArgs may not give them. */
export const RESERVED_FLAGS = ['id', 'data', 'listen', 'advertise', 'peers', 'join', 'cluster', 'token-file', 'tls-cert', 'tls-key', 'tls-ca', 'help'];

const memberSchema = z.object({
  id: memberIdSchema,
  url: memberUrlSchema,
  dataDir: z.string().min(1, 'must be a path'),
  logFile: z.string().min(1, 'must be a path'),
  pid: z.int().positive().nullable(),
  joined: z.boolean(),
});

const clusterFileSchema = z.object({
  version: z.literal(1, { error: 'must be 1 (this file was written by another version of Raft Manager)' }),
  name: z.string().regex(CLUSTER_NAME_PATTERN, 'must be a cluster name: 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-"'),
  tokenFile: z.string().min(1, 'must be a path'),
  nodeArgs: z.array(z.string()).superRefine((args, ctx) => {
    const problem = nodeArgsProblem(args);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  bootstrap: z.array(z.object({ id: memberIdSchema, url: memberUrlSchema })).min(1, 'must name at least one member'),
  members: z
    .array(memberSchema)
    .max(MAX_MEMBERS * 4, 'has too many members')
    .refine((members) => new Set(members.map((m) => m.id)).size === members.length, 'must not name a member twice'),
}) satisfies z.ZodType<ClusterFile>;

/** Why these extra node flags cannot be used; undefined when they can. */
export function nodeArgsProblem(args: readonly string[]): string | undefined {
  for (const arg of args) {
    const flag = /^--([a-z-]+)/.exec(arg)?.[1];
    if (flag !== undefined && RESERVED_FLAGS.includes(flag)) return `--${flag} is set by the host for each member; remove it from the node flags`;
  }
  return undefined;
}

export function clusterFilePath(dir: string): string {
  return join(dir, CLUSTER_FILE);
}

/** Reads and validates DIR/cluster.json; relative paths in it are taken relative to DIR. */
export async function readClusterFile(dir: string): Promise<ClusterFile> {
  const path = clusterFilePath(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir} holds no hosted cluster (${CLUSTER_FILE} is missing)`);
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = clusterFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path} is not a valid cluster file: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const file = parsed.data;
  return {
    ...file,
    tokenFile: resolve(dir, file.tokenFile),
    members: file.members.map((m) => ({ ...m, dataDir: resolve(dir, m.dataDir), logFile: resolve(dir, m.logFile) })),
  };
}

/** Replaces DIR/cluster.json in one step (write a temporary file, then rename). */
export async function writeClusterFile(dir: string, file: ClusterFile): Promise<void> {
  const path = clusterFilePath(dir);
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}
