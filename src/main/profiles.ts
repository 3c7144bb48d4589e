// Connection profiles: how to reach a remote cluster (member URLs, the token file's path, TLS
// files), one JSON file per profile in a folder the caller gives. A profile never holds the token
// itself, only where to read it; every profile read is validated, with errors naming file and field.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as z from 'zod';
import { loadAuth, memberBaseUrl, type ConnectionAuth } from './connection/endpoint.ts';

export interface ConnectionProfile {
  name: string;
  /** Members' base URLs, ws:// or wss://; one is enough, the others are discovered. */
  urls: string[];
  /** Absolute path of the file holding the token. */
  tokenFile?: string;
  /** Absolute paths of PEM files: the CA for wss://, a client certificate and its key. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_URLS = 64;

const absolutePath = z
  .string({ error: 'must be a path' })
  .min(1, 'must not be empty')
  .refine((path) => isAbsolute(path), 'must be an absolute path');

const urlSchema = z.string({ error: 'must be a string' }).transform((text, ctx) => {
  try {
    return memberBaseUrl(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const profileSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).regex(PROFILE_NAME_PATTERN, 'must be 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit'),
  urls: z.array(urlSchema, { error: 'must be a list of ws:// or wss:// URLs' }).min(1, 'must name at least one member URL').max(MAX_URLS, `must name at most ${MAX_URLS} URLs`),
  tokenFile: absolutePath.optional(),
  tls: z
    .strictObject({ caFile: absolutePath.optional(), certFile: absolutePath.optional(), keyFile: absolutePath.optional() })
    .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), 'certFile and keyFile go together')
    .optional(),
}) satisfies z.ZodType<ConnectionProfile, unknown>;

/** Validates a profile read from `source` (a file name, for the message); throws an Error naming the field. */
export function parseProfile(value: unknown, source: string): ConnectionProfile {
  if (typeof value === 'object' && value !== null && ('token' in value || 'password' in value)) {
    throw new Error(`${source}: a profile must not hold the token itself; put it in a file and give "tokenFile"`);
  }
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || '(top level)';
    throw new Error(`${source}: ${field}: ${issue.message}`);
  }
  return { ...parsed.data, urls: [...new Set(parsed.data.urls)] };
}

/** The token and TLS material a profile points to, read from disk. */
export function profileAuth(profile: ConnectionProfile): Promise<ConnectionAuth> {
  return loadAuth({ tokenFile: profile.tokenFile, ...profile.tls });
}

export interface ProfileList {
  profiles: ConnectionProfile[];
  /** Files that are not valid profiles, with why. */
  problems: { file: string; error: string }[];
}

export class ProfileStore {
  constructor(readonly dir: string) {}

  /** Every profile in the folder (none if the folder does not exist), by name. */
  async list(): Promise<ProfileList> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: [], problems: [] };
      throw error;
    }
    const result: ProfileList = { profiles: [], problems: [] };
    for (const name of names) {
      try {
        result.profiles.push(await this.readFile(join(this.dir, name)));
      } catch (error) {
        result.problems.push({ file: join(this.dir, name), error: (error as Error).message });
      }
    }
    return result;
  }

  async load(name: string): Promise<ConnectionProfile> {
    const path = this.pathOf(name);
    const profile = await this.readFile(path);
    if (profile.name !== name) throw new Error(`${path}: name: says "${profile.name}" but the file is for "${name}"`);
    return profile;
  }

  /** Validates and writes the profile (replacing one of the same name); returns it as stored. */
  async save(profile: ConnectionProfile): Promise<ConnectionProfile> {
    const valid = parseProfile(profile, `profile "${profile.name}"`);
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(valid.name);
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
    return valid;
  }

  async remove(name: string): Promise<void> {
    await rm(this.pathOf(name), { force: true });
  }

  private pathOf(name: string): string {
    if (!PROFILE_NAME_PATTERN.test(name)) throw new Error(`"${name}" is not a profile name: 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit`);
    return join(this.dir, `${name}.json`);
  }

  private async readFile(path: string): Promise<ConnectionProfile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no profile at ${path}`);
      throw new Error(`cannot read ${path}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
    }
    return parseProfile(json, path);
  }
}
