// A plain static file server on 127.0.0.1 for browser tests: the renderer without web mode's API,
// or "another site" that must not reach web mode's API socket.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentType, fileUnder, requestPath } from '../../src/main/static-files.ts';

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the files under `root` on a free port; `/` is `index.html`. */
export async function serveDirectory(root: string): Promise<StaticServer> {
  const server = createServer(async (request, response) => {
    const pathname = requestPath(request.url ?? '/');
    const file = fileUnder(root, pathname === '/' ? '/index.html' : pathname);
    try {
      if (file === null) throw new Error('outside the root');
      const body = await readFile(file);
      response.writeHead(200, { 'Content-Type': contentType(file) });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
