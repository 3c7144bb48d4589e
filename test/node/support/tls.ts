// A throwaway CA and a certificate for 127.0.0.1 / localhost, made with the openssl CLI, for
// tests of --tls-cert, --tls-key and --tls-ca.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestTls } from './cluster.ts';

const run = promisify(execFile);

export async function makeTestTls(dir: string): Promise<TestTls> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=raft-test-ca', '-keyout', file('ca.key'), '-out', file('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', file('node.key'), '-out', file('node.csr')]);
  await writeFile(file('node.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', file('node.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', file('node.ext'), '-out', file('node.pem')]);
  return { certFile: file('node.pem'), keyFile: file('node.key'), caFile: file('ca.pem'), ca: await readFile(file('ca.pem')) };
}
