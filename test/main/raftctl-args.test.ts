// raftctl's command-line reading and output helpers, in process: flags and their values, `--`,
// validation messages, tables, one-line errors, and where a drill's files go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Flags, readCommandLine, UsageError } from '../../src/main/raftctl/args.ts';
import { reportFiles } from '../../src/main/raftctl/drill.ts';
import { formatTable, oneLine } from '../../src/main/raftctl/output.ts';

function usageError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof UsageError && pattern.test(error.message));
}

describe('readCommandLine', () => {
  it('splits words and flags, in any order, in both value spellings', () => {
    const line = readCommandLine(['--endpoints', 'ws://a:1', 'member', 'add', 'n4', '--learner', 'ws://b:2', '--timeout-ms=900', '-h']);
    assert.deepEqual(line.words, ['member', 'add', 'n4', 'ws://b:2']);
    assert.deepEqual([...line.flags], [['endpoints', 'ws://a:1'], ['learner', true], ['timeout-ms', '900'], ['help', true]]);
    assert.deepEqual(line.rest, []);
  });

  it('takes everything after a lone -- as is, and negative numbers as words', () => {
    const line = readCommandLine(['put', 'k', '-5', '--', '--not-a-flag', '-x']);
    assert.deepEqual(line.words, ['put', 'k', '-5']);
    assert.deepEqual(line.rest, ['--not-a-flag', '-x']);
  });

  it('refuses unknown, repeated and valueless flags with a message that says how to fix it', () => {
    usageError(() => readCommandLine(['status', '--verbose']), /^unknown flag --verbose$/);
    usageError(() => readCommandLine(['status', '-v']), /unknown flag -v \(flags are spelled --name\)/);
    usageError(() => readCommandLine(['--dir', 'a', '--dir', 'b']), /--dir is given twice/);
    usageError(() => readCommandLine(['status', '--endpoints']), /--endpoints needs a value: --endpoints URL,\.\.\./);
    usageError(() => readCommandLine(['status', '--endpoints', '--json']), /--endpoints needs a value/);
    usageError(() => readCommandLine(['status', '--json=yes']), /--json takes no value/);
  });
});

describe('Flags', () => {
  const flags = (argv: string[]) => new Flags(readCommandLine(argv).flags);

  it('reads whole numbers within bounds, with a default when absent', () => {
    assert.equal(flags(['--rounds', '3']).int('rounds', { min: 1, max: 10 }), 3);
    assert.equal(flags([]).int('rounds', { min: 1, max: 10 }, 5), 5);
    usageError(() => flags([]).int('rounds', { min: 1, max: 10 }), /--rounds N is required/);
    usageError(() => flags(['--rounds', '2.5']).int('rounds', { min: 1, max: 10 }), /--rounds must be a whole number from 1 to 10, got "2.5"/);
    usageError(() => flags(['--rounds', '11']).int('rounds', { min: 1, max: 10 }), /got "11"/);
  });

  it('reads fractions and choices', () => {
    assert.equal(flags(['--loss', '0.25']).number('loss', { min: 0, max: 1 }), 0.25);
    assert.equal(flags([]).number('loss', { min: 0, max: 1 }), undefined);
    usageError(() => flags(['--loss', '2']).number('loss', { min: 0, max: 1 }), /--loss must be a number from 0 to 1, got "2"/);
    assert.equal(flags(['--scenario', 'sequence']).choice('scenario', ['kill-leader', 'sequence'], 'kill-leader'), 'sequence');
    usageError(() => flags(['--scenario', 'nuke']).choice('scenario', ['kill-leader', 'sequence'], 'kill-leader'), /one of kill-leader, sequence, got "nuke"/);
  });
});

describe('output', () => {
  it('pads table columns to the widest cell', () => {
    assert.equal(formatTable(['ID', 'ROLE'], [['n1', 'leader'], ['n10', '-']]), 'ID   ROLE\nn1   leader\nn10  -');
  });

  it('makes any message one line', () => {
    assert.equal(oneLine('node did not start\n  log ends:\n\nEADDRINUSE\n'), 'node did not start | log ends: | EADDRINUSE');
  });

  it('puts the drill HTML and history next to the JSON report', () => {
    assert.deepEqual(reportFiles('out/drill.json'), { json: 'out/drill.json', html: 'out/drill.html', history: 'out/drill.history.jsonl' });
    assert.deepEqual(reportFiles('report'), { json: 'report', html: 'report.html', history: 'report.history.jsonl' });
  });
});
