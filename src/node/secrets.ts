// The files the command line points at: the shared token and the TLS certificate, key and CA.
// Each failure names the flag and the file.
import { readFile } from 'node:fs/promises';
import type { NodeOptions } from './options.ts';

export interface Secrets {
  token?: string;
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

export async function readSecrets(options: NodeOptions): Promise<Secrets> {
  const secrets: Secrets = {};
  if (options.tokenFile !== undefined) {
    const token = (await read('--token-file', options.tokenFile)).toString('utf8').trim();
    if (token === '') throw new Error(`--token-file ${options.tokenFile} is empty`);
    secrets.token = token;
  } else if (options.envToken !== undefined) {
    secrets.token = options.envToken;
  }
  if (options.tls) {
    const { certFile, keyFile, caFile } = options.tls;
    const [cert, key] = [await read('--tls-cert', certFile), await read('--tls-key', keyFile)];
    secrets.tls = caFile === undefined ? { cert, key } : { cert, key, ca: await read('--tls-ca', caFile) };
  }
  return secrets;
}

async function read(flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`cannot read ${flag} ${file}: ${(error as Error).message}`);
  }
}
