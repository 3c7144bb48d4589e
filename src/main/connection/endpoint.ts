// Where and how to reach a member: its base URL, the URL of one of its paths, and the credentials
// (token, TLS material) sent with every connection.
import { readFile } from 'node:fs/promises';

/** What a connection to a node presents. File contents, not paths: see loadAuth. */
export interface ConnectionAuth {
  /** Sent as `Authorization: Bearer TOKEN`; absent for a cluster without a token. */
  token?: string;
  /** PEM text. `ca` verifies a wss:// node; `cert` + `key` are a client certificate. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** The files a profile or a command line names for ConnectionAuth. */
export interface AuthFiles {
  tokenFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/**
 * A member's base URL, `ws://host:port` or `wss://host:port`, from what a user or a node gave:
 * any path (`/admin`, `/client`) is dropped. Throws an Error naming the problem.
 */
export function memberBaseUrl(text: string): string {
  const trimmed = text.trim();
  if (!URL.canParse(trimmed)) throw new Error(`"${text}" is not a URL; expected ws://HOST:PORT or wss://HOST:PORT`);
  const url = new URL(trimmed);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`"${text}" must start with ws:// or wss://`);
  }
  if (url.hostname === '') throw new Error(`"${text}" has no host`);
  if (url.username !== '' || url.password !== '') throw new Error(`"${text}" must not carry credentials; give a token file instead`);
  return `${url.protocol}//${url.host}`;
}

/** The URL of `path` on the member at `base`. */
export function endpointUrl(base: string, path: '/admin' | '/client'): string {
  return `${memberBaseUrl(base)}${path}`;
}

/** Reads the token and TLS files; each failure names the file and what is wrong with it. */
export async function loadAuth(files: AuthFiles): Promise<ConnectionAuth> {
  const auth: ConnectionAuth = {};
  if (files.tokenFile !== undefined) auth.token = await readTokenFile(files.tokenFile);
  const [ca, cert, key] = await Promise.all([
    readOptional(files.caFile, 'TLS CA file'),
    readOptional(files.certFile, 'TLS certificate file'),
    readOptional(files.keyFile, 'TLS key file'),
  ]);
  if ((cert === undefined) !== (key === undefined)) throw new Error('a TLS client certificate and its key go together: give both or neither');
  if (ca !== undefined || cert !== undefined) {
    auth.tls = {};
    if (ca !== undefined) auth.tls.ca = ca;
    if (cert !== undefined && key !== undefined) Object.assign(auth.tls, { cert, key });
  }
  return auth;
}

/** The token in `path`, without the surrounding whitespace an editor may add (as raft-node reads it). */
export async function readTokenFile(path: string): Promise<string> {
  const token = (await readText(path, 'token file')).trim();
  if (token === '') throw new Error(`token file ${path} is empty`);
  return token;
}

async function readOptional(path: string | undefined, what: string): Promise<string | undefined> {
  return path === undefined ? undefined : readText(path, what);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : (error as Error).message;
    throw new Error(`${what} ${path} ${why}`);
  }
}
