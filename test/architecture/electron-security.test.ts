// Guards the desktop shell's security: the window settings stay locked down, the preload exposes only
// the typed API, and the checks that keep the window and IPC on the app page hold.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { APP_PAGE_URL, appFilePath, isAppPage } from '../../src/main/app-page.ts';
import { blankNonCode, lineAt, listSourceFiles } from './source-text.ts';

const ROOT = join(import.meta.dirname, '../..');

interface SourceCode {
  path: string;
  code: string;
}

function codeUnder(dir: string): SourceCode[] {
  return listSourceFiles(join(ROOT, dir)).map((file) => ({
    path: relative(ROOT, file).split(sep).join('/'),
    code: blankNonCode(readFileSync(file, 'utf8'), { strings: false }),
  }));
}

const REQUIRED_WEB_PREFERENCES = [/\bcontextIsolation\s*:\s*true\b/, /\bsandbox\s*:\s*true\b/, /\bnodeIntegration\s*:\s*false\b/];

const FORBIDDEN_SETTINGS = [
  /\bcontextIsolation\s*:\s*false\b/,
  /\bsandbox\s*:\s*false\b/,
  /\bnodeIntegration(?:InWorker|InSubFrames)?\s*:\s*true\b/,
  /\bwebSecurity\s*:\s*false\b/,
  /\ballowRunningInsecureContent\s*:\s*true\b/,
  /\bwebviewTag\s*:\s*true\b/,
  /\bexperimentalFeatures\s*:\s*true\b/,
  /appendSwitch\(\s*['"](?:no-sandbox|disable-web-security|ignore-certificate-errors)\b/,
];

describe('Electron shell security', () => {
  it('keeps contextIsolation and sandbox on and nodeIntegration off, and weakens nothing', () => {
    const main = codeUnder('src/main');
    for (const setting of REQUIRED_WEB_PREFERENCES) {
      assert.ok(main.some(({ code }) => setting.test(code)), `src/main no longer sets ${setting.source}`);
    }
    const weakened = main.flatMap(({ path, code }) =>
      FORBIDDEN_SETTINGS.flatMap((setting) => {
        const match = new RegExp(setting.source, 'g').exec(code);
        return match ? [`${path}:${lineAt(code, match.index)} ${match[0]}`] : [];
      }),
    );
    assert.deepEqual(weakened, [], `Electron security settings weakened:\n${weakened.join('\n')}`);
  });

  it('turns the sandbox on for every renderer', () => {
    const index = codeUnder('src/main').find(({ path }) => path === 'src/main/index.ts');
    assert.ok(index, 'src/main/index.ts is missing');
    assert.match(index.code, /\bapp\.enableSandbox\(\)/);
  });

  it('exposes only window.raftManager from the preload, never ipcRenderer itself', () => {
    const preload = codeUnder('src/preload');
    const exposed = preload.flatMap(({ code }) => [...code.matchAll(/exposeInMainWorld\(\s*(['"])(\w+)\1/g)].map((m) => m[2]));
    assert.deepEqual(exposed, ['raftManager']);
    const leaks = preload.flatMap(({ path, code }) => {
      const withoutImports = code.replace(/^import\b[^;]*;/gm, (statement) => statement.replace(/[^\n]/g, ' '));
      return [...withoutImports.matchAll(/\bipcRenderer\b(?!\s*\.\s*\w+\s*\()/g)].map(
        (match) => `${path}:${lineAt(withoutImports, match.index)} passes ipcRenderer on instead of calling it`,
      );
    });
    assert.deepEqual(leaks, []);
  });

  describe('isAppPage', () => {
    it('accepts the app page, with any query or fragment', () => {
      assert.equal(isAppPage(APP_PAGE_URL, APP_PAGE_URL), true);
      assert.equal(isAppPage(`${APP_PAGE_URL}?view=drills#top`, APP_PAGE_URL), true);
      assert.equal(isAppPage('http://localhost:5173/#/clusters', 'http://localhost:5173/'), true);
    });

    it('refuses every other page', () => {
      for (const url of [
        'app://renderer/other.html',
        'app://evil/index.html',
        'app://user@renderer/index.html',
        'file:///index.html',
        'https://renderer/index.html',
        'about:blank',
        'not a url',
        '',
      ]) {
        assert.equal(isAppPage(url, APP_PAGE_URL), false, url);
      }
      assert.equal(isAppPage('http://localhost:5174/', 'http://localhost:5173/'), false);
      assert.equal(isAppPage('http://127.0.0.1:5173/', 'http://localhost:5173/'), false);
    });
  });

  describe('appFilePath', () => {
    const dir = '/app/out/renderer';

    it('maps app://renderer/ requests to files in the renderer folder', () => {
      assert.equal(appFilePath(dir, 'app://renderer/index.html'), '/app/out/renderer/index.html');
      assert.equal(appFilePath(dir, 'app://renderer/assets/index-B7f.js?v=1'), '/app/out/renderer/assets/index-B7f.js');
      assert.equal(appFilePath(dir, 'app://renderer/assets/a%20b.css'), '/app/out/renderer/assets/a b.css');
      assert.equal(appFilePath(dir, 'app://renderer/../../etc/passwd'), '/app/out/renderer/etc/passwd');
    });

    it('refuses requests for other hosts, bad encodings and paths out of the folder', () => {
      for (const url of [
        'app://renderer/..%2f..%2fetc/passwd',
        'app://renderer/%2e%2e%2fsecret',
        'app://renderer/',
        'app://renderer/%E0%A4%A',
        'app://other/index.html',
        'file:///etc/passwd',
        'not a url',
      ]) {
        assert.equal(appFilePath(dir, url), null, url);
      }
    });
  });
});
