// The hosted cluster's shared secret: random, written once to a file only its owner can read.
import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes a new token to `path` (which must not exist yet) with mode 0600; returns it. */
export async function createTokenFile(path: string): Promise<string> {
  const token = generateToken();
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  // The mode given to writeFile passes through the umask; make sure of it.
  await chmod(path, 0o600);
  return token;
}
