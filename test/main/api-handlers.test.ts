// The API handlers check every argument the page sends before the service sees it: member ids,
// the drill request's fields and bounds, a remote cluster's URLs, file paths and profile name, a
// new remote member, and the number of arguments; valid calls reach the service as sent (URLs as
// member base URLs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiHandlers, type ApiCallHandlers, type ApiService } from '../../src/main/api-handlers.ts';
import type { ClusterUpdate, DrillRequest, DrillSummary, NewMember, ProfileListing, RemoteClusterRequest } from '../../src/shared/api.ts';

const SUMMARY: DrillSummary = {
  scenario: 'kill-leader',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 9000,
  faultMs: 1000,
  rounds: [],
  ops: { ok: 10, failed: 0, unknown: 0 },
  verdict: 'linearizable',
  lostWrites: 0,
  unavailability: null,
  historyFile: '/d/drills/x.jsonl',
  reportFiles: { json: '/d/drills/x.report.json', html: '/d/drills/x.report.html' },
  anomalyCount: 0,
  anomalies: [],
};

const PROFILES: ProfileListing = {
  profiles: [{ name: 'staging', urls: ['ws://10.0.0.5:7001'], tokenFile: '/etc/raft/token' }],
  problems: [{ file: '/d/profiles/bad.json', error: '/d/profiles/bad.json: not valid JSON' }],
};

/** A service that records each call as "method arg". */
function recordingService(): { service: ApiService; calls: string[] } {
  const calls: string[] = [];
  const member = (method: string) => async (id: string) => {
    calls.push(`${method} ${id}`);
  };
  const service: ApiService = {
    clusterSnapshot: async () => ({}) as ClusterUpdate,
    connectRemote: async (request: RemoteClusterRequest) => {
      calls.push(`connectRemote ${JSON.stringify(request)}`);
    },
    hostLocal: async () => {
      calls.push('hostLocal');
    },
    listProfiles: async () => PROFILES,
    deleteProfile: async (name: string) => {
      calls.push(`deleteProfile ${name}`);
    },
    killMember: member('killMember'),
    restartMember: member('restartMember'),
    addMember: async (added?: NewMember) => {
      calls.push(added ? `addMember ${JSON.stringify(added)}` : 'addMember');
      return added ?? { id: 'n4', url: 'ws://127.0.0.1:7004' };
    },
    removeMember: member('removeMember'),
    transferLeader: member('transferLeader'),
    pauseMember: member('pauseMember'),
    partitionMember: member('partitionMember'),
    healAll: async () => {
      calls.push('healAll');
    },
    runDrill: async (request: DrillRequest) => {
      calls.push(`runDrill ${JSON.stringify(request)}`);
      return SUMMARY;
    },
    subscribe: () => () => {},
  };
  return { service, calls };
}

function handlers(): { calls: ApiCallHandlers; made: string[] } {
  const { service, calls } = recordingService();
  return { calls: createApiHandlers(service, () => ({ app: '1', electron: null, node: '20', chrome: null })).calls, made: calls };
}

const MEMBER_METHODS = ['killMember', 'restartMember', 'removeMember', 'transferLeader', 'pauseMember', 'partitionMember'] as const;

describe('API handlers', () => {
  it('pass a valid member id to the service', async () => {
    const { calls, made } = handlers();
    for (const method of MEMBER_METHODS) await calls[method](['n2']);
    assert.deepEqual(made, MEMBER_METHODS.map((method) => `${method} n2`));
  });

  it('refuse a bad member id, a missing one and an extra argument, before the service sees them', async () => {
    const { calls, made } = handlers();
    for (const method of MEMBER_METHODS) {
      await assert.rejects(calls[method](['../n2']), new RegExp(`^Error: ${method}: argument 1 must be a member id: 1 to 32 of a-z, 0-9 and "-"`));
      await assert.rejects(calls[method]([42]), new RegExp(`^Error: ${method}: argument 1 must be a string$`));
      await assert.rejects(calls[method]([]), new RegExp(`^Error: ${method} takes 1 argument, got 0$`));
      await assert.rejects(calls[method](['n2', 'n3']), new RegExp(`^Error: ${method} takes 1 argument, got 2$`));
    }
    assert.deepEqual(made, []);
  });

  it('heal, host the local cluster and list profiles with no arguments, and refuse any', async () => {
    const { calls, made } = handlers();
    await calls.healAll([]);
    await calls.hostLocal([]);
    assert.deepEqual(await calls.listProfiles([]), PROFILES);
    await assert.rejects(calls.healAll([true]), /^Error: healAll takes 0 arguments, got 1$/);
    await assert.rejects(calls.hostLocal(['local']), /^Error: hostLocal takes 0 arguments, got 1$/);
    await assert.rejects(calls.listProfiles([{}]), /^Error: listProfiles takes 0 arguments, got 1$/);
    assert.deepEqual(made, ['healAll', 'hostLocal']);
  });

  it('add a member with no argument (hosted) or a new member {id, url} (remote), and refuse a bad one', async () => {
    const { calls, made } = handlers();
    assert.deepEqual(await calls.addMember([]), { id: 'n4', url: 'ws://127.0.0.1:7004' });
    assert.deepEqual(await calls.addMember([{ id: 'n9', url: 'ws://10.0.0.9:7001/admin' }]), { id: 'n9', url: 'ws://10.0.0.9:7001' });
    const refusals: [unknown[], RegExp][] = [
      [['n4'], /^Error: addMember: argument 1 must be an object \{id, url\}$/],
      [[{ id: 'N 4', url: 'ws://10.0.0.9:7001' }], /^Error: addMember: argument 1 id must be a member id: 1 to 32 of a-z, 0-9 and "-"/],
      [[{ id: 'n4', url: 'http://10.0.0.9:7001' }], /^Error: addMember: argument 1 url: "http:\/\/10.0.0.9:7001" must start with ws:\/\/ or wss:\/\/$/],
      [[{ id: 'n4' }], /^Error: addMember: argument 1 url must be a string$/],
      [[{ id: 'n4', url: 'ws://10.0.0.9:7001', voter: false }], /^Error: addMember: argument 1 has no field voter: it takes id and url$/],
      [[{ id: 'n4', url: 'ws://10.0.0.9:7001' }, 'x'], /^Error: addMember takes 0 or 1 arguments, got 2$/],
    ];
    for (const [args, expected] of refusals) await assert.rejects(calls.addMember(args), expected, JSON.stringify(args));
    assert.deepEqual(made, ['addMember', 'addMember {"id":"n9","url":"ws://10.0.0.9:7001"}']);
  });

  it('connect to a remote cluster with valid settings, its URLs as member base URLs', async () => {
    const { calls, made } = handlers();
    await calls.connectRemote([{ urls: ['ws://127.0.0.1:7001/admin', ' wss://raft.example:443 '], tokenFile: '/etc/raft/token', caFile: '/etc/raft/ca.pem', saveAs: 'prod-1' }]);
    await calls.connectRemote([{ urls: ['ws://[::1]:7001'] }]);
    assert.deepEqual(made, [
      'connectRemote {"urls":["ws://127.0.0.1:7001","wss://raft.example"],"tokenFile":"/etc/raft/token","caFile":"/etc/raft/ca.pem","saveAs":"prod-1"}',
      'connectRemote {"urls":["ws://[::1]:7001"]}',
    ]);
  });

  it('refuse bad remote cluster settings, saying which field is wrong and what it must be', async () => {
    const { calls, made } = handlers();
    const many = Array.from({ length: 65 }, (_, i) => `ws://10.0.0.1:${7000 + i}`);
    const refusals: [unknown[], RegExp][] = [
      [[{ urls: [] }], /argument 1 urls must name at least one member$/],
      [[{ urls: many }], /argument 1 urls must name at most 64 members$/],
      [[{ urls: 'ws://10.0.0.1:7001' }], /argument 1 urls must be a list of ws:\/\/ or wss:\/\/ URLs$/],
      [[{ urls: ['http://10.0.0.1:7001'] }], /argument 1 urls: "http:\/\/10.0.0.1:7001" must start with ws:\/\/ or wss:\/\/$/],
      [[{ urls: ['10.0.0.1:7001'] }], /argument 1 urls: "10.0.0.1:7001" (is not a URL|must start with ws)/],
      [[{ urls: ['ws://admin:secret@10.0.0.1:7001'] }], /must not carry credentials; give a token file instead$/],
      [[{ urls: [7001] }], /argument 1 urls must be a string$/],
      [[{ urls: ['ws://10.0.0.1:7001'], tokenFile: 'token' }], /argument 1 tokenFile must be an absolute path$/],
      [[{ urls: ['ws://10.0.0.1:7001'], tokenFile: '' }], /argument 1 tokenFile must not be empty$/],
      [[{ urls: ['ws://10.0.0.1:7001'], caFile: './ca.pem' }], /argument 1 caFile must be an absolute path$/],
      [[{ urls: ['ws://10.0.0.1:7001'], saveAs: '../prod' }], /argument 1 saveAs must be a profile name: 1 to 64 of A-Z/],
      [[{ urls: ['ws://10.0.0.1:7001'], saveAs: 'x'.repeat(65) }], /argument 1 saveAs must be a profile name/],
      [[{ urls: ['ws://10.0.0.1:7001'], token: 's3cret' }], /argument 1 has no field token: it takes urls, tokenFile, caFile and saveAs$/],
      [['ws://10.0.0.1:7001'], /argument 1 must be an object \{urls, tokenFile\?, caFile\?, saveAs\?\}$/],
      [[], /^Error: connectRemote takes 1 argument, got 0$/],
    ];
    for (const [args, expected] of refusals) {
      await assert.rejects(calls.connectRemote(args), (error: Error) => {
        assert.match(String(error), expected, JSON.stringify(args).slice(0, 200));
        assert.match(error.message, /^connectRemote/);
        return true;
      });
    }
    assert.deepEqual(made, []);
  });

  it('delete a profile by a valid name only', async () => {
    const { calls, made } = handlers();
    await calls.deleteProfile(['staging.eu-1']);
    await assert.rejects(calls.deleteProfile(['../secrets']), /^Error: deleteProfile: argument 1 must be a profile name: 1 to 64 of A-Z/);
    await assert.rejects(calls.deleteProfile([null]), /^Error: deleteProfile: argument 1 must be a profile name$/);
    await assert.rejects(calls.deleteProfile([]), /^Error: deleteProfile takes 1 argument, got 0$/);
    assert.deepEqual(made, ['deleteProfile staging.eu-1']);
  });

  it('run a drill with a valid request, with or without faultMs', async () => {
    const { calls, made } = handlers();
    assert.deepEqual(await calls.runDrill([{ scenario: 'kill-leader', rounds: 1 }]), SUMMARY);
    await calls.runDrill([{ scenario: 'sequence', rounds: 10, faultMs: 500 }]);
    assert.deepEqual(made, ['runDrill {"scenario":"kill-leader","rounds":1}', 'runDrill {"scenario":"sequence","rounds":10,"faultMs":500}']);
  });

  it('refuse a bad drill request, saying which field is wrong and what it must be', async () => {
    const { calls, made } = handlers();
    const refusals: [unknown[], RegExp][] = [
      [[{ scenario: 'kill-everyone', rounds: 1 }], /argument 1 scenario must be one of kill-leader, partition-leader, pause-leader, sequence$/],
      [[{ rounds: 1 }], /argument 1 scenario must be one of/],
      [[{ scenario: 'kill-leader', rounds: 0 }], /argument 1 rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 11 }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 1.5 }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: '2' }], /rounds must be a whole number from 1 to 10$/],
      [[{ scenario: 'kill-leader', rounds: 1, faultMs: 100 }], /faultMs must be a whole number from 500 to 60000$/],
      [[{ scenario: 'kill-leader', rounds: 1, faultMs: null }], /faultMs must be a whole number from 500 to 60000$/],
      [[{ scenario: 'kill-leader', rounds: 1, clients: 64 }], /argument 1 has no field clients: it takes scenario, rounds and faultMs$/],
      [['kill-leader'], /argument 1 must be an object \{scenario, rounds, faultMs\?\}$/],
      [[null], /argument 1 must be an object/],
      [[], /^Error: runDrill takes 1 argument, got 0$/],
    ];
    for (const [args, expected] of refusals) {
      await assert.rejects(calls.runDrill(args), (error: Error) => {
        assert.match(String(error), expected, JSON.stringify(args));
        assert.match(error.message, /^runDrill/);
        return true;
      });
    }
    assert.deepEqual(made, []);
  });
});
