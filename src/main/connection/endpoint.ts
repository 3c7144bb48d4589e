// Where and how to reach a member: its base URL, the URL of one of its paths, and the credentials
// (token, TLS material) sent with every connection.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

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

const MAX_TOKEN_FILE_BYTES = 4096;
const MAX_PEM_FILE_BYTES = 1024 * 1024;
/** What an Authorization header can carry: printable ASCII, one line. */
const TOKEN_PATTERN = /^[\x20-\x7e]+$/;

/** The token in `path`, without the surrounding whitespace an editor may add (as raft-node reads it). */
export async function readTokenFile(path: string): Promise<string> {
  const token = (await readText(path, 'token file', MAX_TOKEN_FILE_BYTES)).trim();
  if (token === '') throw new Error(`token file ${path} is empty`);
  if (!TOKEN_PATTERN.test(token)) throw new Error(`token file ${path} holds more than one line of printable ASCII: is it the right file?`);
  return token;
}

async function readOptional(path: string | undefined, what: string): Promise<string | undefined> {
  return path === undefined ? undefined : readText(path, what, MAX_PEM_FILE_BYTES);
}

/**
 * A small regular file's text. A FIFO, a device or a folder is refused rather than read: the
 * paths come from a page or a profile, and reading a FIFO would wait for a writer for ever.
 */
async function readText(path: string, what: string, maxBytes: number): Promise<string> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : (error as Error).message;
    throw new Error(`${what} ${path} ${why}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${what} ${path} is not a regular file`);
    if (stats.size > maxBytes) throw new Error(`${what} ${path} has ${stats.size} bytes; at most ${maxBytes} are expected`);
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}
