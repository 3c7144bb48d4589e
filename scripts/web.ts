// Web mode (`npm run web -- [--port P] [--dir DIR]`): hosts the local 3-node cluster in DIR (or
// watches a remote cluster the page connects to; profiles in DIR/../profiles) and serves the built
// renderer and its API to a browser on 127.0.0.1; prints the URL to open. Ctrl-C (or SIGTERM) stops
// the members cleanly.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiHandlers } from '../src/main/api-handlers.ts';
import { AppService } from '../src/main/app-service.ts';
import { packageRoot } from '../src/main/hosting/package-root.ts';
import { startWebServer, type WebServer } from '../src/main/web-server.ts';
import type { AppVersion } from '../src/shared/api.ts';

const USAGE = `usage: npm run web -- [--port PORT] [--dir DIR]
  --port PORT  port on 127.0.0.1 to serve on (default: any free port)
  --dir DIR    the local cluster's folder (default: ./.data/local-cluster); saved connection
               profiles go next to it, in DIR/../profiles`;

interface WebOptions {
  port: number;
  dir: string;
}

function parseOptions(argv: string[]): WebOptions {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = values.port ?? '0';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new Error(`--port "${port}" must be a port number from 0 to 65535`);
  if (values.dir !== undefined && values.dir.trim() === '') throw new Error('--dir must name a folder');
  return { port: Number(port), dir: resolve(values.dir ?? join('.data', 'local-cluster')) };
}

function appVersion(): AppVersion {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return { app: manifest.version, electron: null, node: process.versions.node, chrome: null };
}

async function main(): Promise<void> {
  let options: WebOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`web: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const rendererDir = join(packageRoot(), 'out', 'renderer');

  const service = new AppService({ dir: options.dir });
  let server: WebServer | undefined;
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping the local cluster...');
    void Promise.allSettled([server?.close(), service.stop()]).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(130));
  process.on('SIGTERM', () => stop(143));

  try {
    // The port first, so that a taken one fails before the cluster starts.
    server = await startWebServer({ rendererDir, handlers: createApiHandlers(service, appVersion), port: options.port });
    console.log(`Starting the local cluster in ${options.dir} ...`);
    await service.start();
  } catch (error) {
    console.error(`web: ${(error as Error).message}`);
    await Promise.allSettled([server?.close(), service.stop()]);
    process.exit(1);
  }
  console.log(`Raft Manager web mode: ${server.url}`);
  console.log('Open it in a browser on this machine. Ctrl-C stops the cluster.');
}

await main();
