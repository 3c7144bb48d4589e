// The raft-node command line, in process: every flag, its defaults and its errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helpText, parseOptions, timingTicks, type NodeOptions } from '../../src/node/options.ts';

const BASE = ['--id', 'n1', '--data', '/tmp/d', '--listen', '127.0.0.1:7001'];

function options(args: string[], env: Record<string, string> = {}): NodeOptions {
  const result = parseOptions([...BASE, ...args], env);
  if (result.kind !== 'options') assert.fail(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

function error(args: string[], env: Record<string, string> = {}): string {
  const result = parseOptions(args, env);
  if (result.kind !== 'error') assert.fail(`expected an error for ${args.join(' ')}, got ${JSON.stringify(result)}`);
  assert.doesNotMatch(result.message, /\n/);
  return result.message;
}

test('defaults follow the SPEC', () => {
  const o = options([]);
  assert.deepEqual(o, {
    id: 'n1',
    dataDir: '/tmp/d',
    listen: { host: '127.0.0.1', port: 7001 },
    advertise: 'ws://127.0.0.1:7001',
    peers: undefined,
    join: false,
    cluster: 'default',
    tokenFile: undefined,
    envToken: undefined,
    tls: undefined,
    electionTimeoutMs: { min: 150, max: 300 },
    heartbeatMs: 50,
    snapshotEntries: 10000,
    fsync: true,
    unsafeLocalReads: false,
  });
  assert.deepEqual(timingTicks(o), { heartbeatTicks: 5, electionTicksMin: 15, electionTicksMax: 30 });
});

test('every flag is read, in both --flag value and --flag=value forms', () => {
  const o = options([
    '--peers=n1=ws://127.0.0.1:7001,n2=ws://127.0.0.1:7002',
    '--cluster',
    'blue',
    '--token-file',
    '/etc/token',
    '--tls-cert',
    'c.pem',
    '--tls-key=k.pem',
    '--tls-ca',
    'ca.pem',
    '--election-timeout',
    '500-900',
    '--heartbeat=100',
    '--snapshot-entries',
    '42',
    '--fsync',
    'off',
  ]);
  assert.deepEqual(o.peers, { n1: 'ws://127.0.0.1:7001', n2: 'ws://127.0.0.1:7002' });
  assert.equal(o.advertise, 'ws://127.0.0.1:7001', "this node's URL in --peers");
  assert.equal(o.cluster, 'blue');
  assert.equal(o.tokenFile, '/etc/token');
  assert.deepEqual(o.tls, { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem' });
  assert.deepEqual(o.electionTimeoutMs, { min: 500, max: 900 });
  assert.equal(o.heartbeatMs, 100);
  assert.equal(o.snapshotEntries, 42);
  assert.equal(o.fsync, false);
  assert.deepEqual(timingTicks(o), { heartbeatTicks: 10, electionTicksMin: 50, electionTicksMax: 90 });

  assert.equal(options(['--join']).join, true);
  assert.equal(options(['--tls-cert', 'c', '--tls-key', 'k']).advertise, 'wss://127.0.0.1:7001');
  assert.equal(options(['--advertise', 'ws://host.example:7001']).advertise, 'ws://host.example:7001');
  assert.equal(parseOptions(['--listen', '[::1]:7001', '--id', 'a', '--data', 'd'], {}).kind, 'options');
});

test('RAFT_TOKEN lets the node bind beyond loopback', () => {
  const o = parseOptions(['--id', 'n1', '--data', 'd', '--listen', '0.0.0.0:7001', '--advertise', 'ws://10.0.0.5:7001'], { RAFT_TOKEN: 't' });
  assert.equal(o.kind, 'options');
  assert.equal(o.kind === 'options' && o.options.envToken, 't');
});

test('--help is recognised anywhere and documents each flag', () => {
  assert.equal(parseOptions(['--id', 'x', '--help'], {}).kind, 'help');
  for (const flag of ['id', 'data', 'listen', 'advertise', 'peers', 'join', 'cluster', 'token-file', 'tls-cert', 'tls-key', 'tls-ca', 'election-timeout', 'heartbeat', 'snapshot-entries', 'fsync']) {
    assert.match(helpText(), new RegExp(`^  --${flag}\\b`, 'm'));
  }
});

test('bad command lines get one clear line each', () => {
  const cases: [string[], RegExp][] = [
    [['--data', 'd', '--listen', '127.0.0.1:1'], /^--id is required/],
    [['--id', 'n1', '--listen', '127.0.0.1:1'], /^--data is required/],
    [['--id', 'n1', '--data', 'd'], /^--listen is required/],
    [['--id', '-n1', '--data', 'd', '--listen', '127.0.0.1:1'], /--id "-n1" is not a member id/],
    [['--id', 'a'.repeat(33), '--data', 'd', '--listen', '127.0.0.1:1'], /is not a member id/],
    [[...BASE, 'stray'], /unexpected argument "stray"/],
    [[...BASE, '--nope'], /unknown flag --nope/],
    [[...BASE, '--id', 'n2'], /--id is given more than once/],
    [[...BASE, '--join=yes'], /--join takes no value/],
    [[...BASE, '--cluster'], /--cluster needs a value/],
    [['--id', 'n1', '--data', 'd', '--listen', '127.0.0.1'], /--listen "127.0.0.1" must be HOST:PORT/],
    [['--id', 'n1', '--data', 'd', '--listen', '127.0.0.1:0'], /port must be from 1 to 65535/],
    [['--id', 'n1', '--data', 'd', '--listen', '127.0.0.1:70000'], /port must be from 1 to 65535/],
    [['--id', 'n1', '--data', 'd', '--listen', '192.168.1.4:7001'], /refusing to listen on 192\.168\.1\.4 without a token/],
    [['--id', 'n1', '--data', 'd', '--listen', '0.0.0.0:7001', '--token-file', 't'], /--advertise is required when listening on 0\.0\.0\.0/],
    [[...BASE, '--peers', 'n2=ws://h:1'], /--peers must include this node \(n1\)/],
    [[...BASE, '--peers', 'n1'], /"n1" must be ID=URL/],
    [[...BASE, '--peers', 'n1=http://h:1'], /URL "http:\/\/h:1" must be a ws:\/\/ or wss:\/\/ URL/],
    [[...BASE, '--peers', 'n1=ws://h:1,n1=ws://h:2'], /names n1 more than once/],
    [[...BASE, '--peers', 'n1=ws://h:1', '--join'], /either --peers .* or --join/],
    [[...BASE, '--peers', 'n1=ws://h:1', '--advertise', 'ws://other:1'], /differs from this node's URL in --peers/],
    [[...BASE, '--advertise', 'tcp://x'], /--advertise "tcp:\/\/x" must be a ws:\/\/ or wss:\/\/ URL/],
    [[...BASE, '--cluster', 'a b'], /--cluster "a b" must be/],
    [[...BASE, '--tls-cert', 'c'], /--tls-cert and --tls-key go together/],
    [[...BASE, '--tls-ca', 'ca'], /--tls-ca needs --tls-cert and --tls-key/],
    [[...BASE, '--election-timeout', '300'], /must be MIN-MAX/],
    [[...BASE, '--election-timeout', '300-100'], /MIN <= MAX/],
    [[...BASE, '--election-timeout', '5-10'], /need 20 <= MIN/],
    [[...BASE, '--heartbeat', '150'], /--heartbeat 150 must be below the election timeout's minimum \(150 ms\)/],
    [[...BASE, '--heartbeat', '5'], /--heartbeat "5" must be a whole number from 10/],
    [[...BASE, '--heartbeat', '1.5'], /must be a whole number/],
    [[...BASE, '--snapshot-entries', '0'], /--snapshot-entries "0" must be a whole number from 1/],
    [[...BASE, '--fsync', 'maybe'], /--fsync "maybe" must be on or off/],
    [[...BASE, '--token-file='], /--token-file must not be empty/],
  ];
  for (const [args, expected] of cases) assert.match(error(args), expected, args.join(' '));
});
