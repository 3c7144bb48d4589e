// Connection profiles: saved and loaded as JSON, never with the token, validated with clear errors.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseProfile, profileAuth, ProfileStore } from '../../src/main/profiles.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'profiles-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ProfileStore', () => {
  it('saves a profile and loads it back, URLs normalized, without the token', async () => {
    const store = new ProfileStore(join(dir, 'a'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'the-secret\n');
    const saved = await store.save({ name: 'prod-1', urls: ['ws://10.0.0.1:7001/admin', 'ws://10.0.0.1:7001', 'wss://db.example:7002'], tokenFile });
    assert.deepEqual(saved.urls, ['ws://10.0.0.1:7001', 'wss://db.example:7002']);
    assert.deepEqual(await store.load('prod-1'), saved);
    const text = await readFile(join(dir, 'a', 'prod-1.json'), 'utf8');
    assert.ok(!text.includes('the-secret'));
    assert.equal((await stat(join(dir, 'a', 'prod-1.json'))).mode & 0o777, 0o600);
    assert.deepEqual(await profileAuth(saved), { token: 'the-secret' });
    assert.deepEqual(await store.list(), { profiles: [saved], problems: [] });
    await store.remove('prod-1');
    assert.deepEqual(await store.list(), { profiles: [], problems: [] });
  });

  it('lists nothing for a folder that does not exist', async () => {
    assert.deepEqual(await new ProfileStore(join(dir, 'missing')).list(), { profiles: [], problems: [] });
  });

  it('refuses a profile that holds a token', async () => {
    const store = new ProfileStore(join(dir, 'b'));
    const bad = { name: 'x', urls: ['ws://127.0.0.1:1'], token: 'secret' };
    await assert.rejects(store.save(bad as never), /must not hold the token itself/);
  });

  it('names the file and the field of an invalid profile', async () => {
    const store = new ProfileStore(join(dir, 'c'));
    await store.save({ name: 'good', urls: ['ws://127.0.0.1:7001'] });
    await writeFile(join(dir, 'c', 'broken.json'), '{"name": "broken", "urls": []}');
    await writeFile(join(dir, 'c', 'garbage.json'), '{not json');
    const { profiles, problems } = await store.list();
    assert.deepEqual(profiles.map((p) => p.name), ['good']);
    assert.equal(problems.length, 2);
    assert.equal(problems[0].error, `${join(dir, 'c', 'broken.json')}: urls: must name at least one member URL`);
    assert.match(problems[1].error, /garbage\.json: not valid JSON \(/);
    await assert.rejects(store.load('nope'), /no profile at .*nope\.json/);
    await assert.rejects(store.load('../etc'), /is not a profile name/);
  });

  it('validates every field', () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'a', urls: ['http://x:1'] }, /urls\.0: .*must start with ws:\/\/ or wss:\/\//],
      [{ name: 'a b', urls: ['ws://x:1'] }, /name: must be 1 to 64/],
      [{ name: 'a', urls: ['ws://x:1'], tokenFile: 'relative/token' }, /tokenFile: must be an absolute path/],
      [{ name: 'a', urls: ['ws://x:1'], tls: { certFile: '/c.pem' } }, /tls: certFile and keyFile go together/],
      [{ name: 'a', urls: ['ws://x:1'], extra: 1 }, /Unrecognized key/i],
      [[], /must be an object|expected object/i],
    ];
    for (const [value, expected] of cases) assert.throws(() => parseProfile(value, 'p.json'), expected);
  });
});
