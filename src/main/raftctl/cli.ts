// raftctl's entry: reads the command line, finds the command, checks its operands and flags, runs
// it, and ends with its exit status. Every failure ends as one line on stderr, never a stack trace.
import { Flags, readCommandLine, UsageError, type CommandLine } from './args.ts';
import { benchCommand } from './bench.ts';
import { checkCommand } from './check.ts';
import { ADDRESSING_FLAGS, ClusterAccess } from './cluster-access.ts';
import { clusterUpCommand } from './cluster-up.ts';
import { CommandError, type Command, type ExitCode } from './command.ts';
import { drillFailoverCommand } from './drill.ts';
import { faultDelayCommand, faultHealCommand, faultKillCommand, faultPartitionCommand, faultPauseCommand, faultRestartCommand } from './fault.ts';
import { commandHelp, groupHelp, overview } from './help.ts';
import { casCommand, delCommand, getCommand, putCommand } from './kv.ts';
import { memberAddCommand, memberPromoteCommand, memberRemoveCommand, transferLeaderCommand } from './membership.ts';
import { oneLine, Output } from './output.ts';
import { membersCommand, statusCommand } from './status.ts';

const COMMANDS: readonly Command[] = [
  statusCommand,
  getCommand,
  putCommand,
  delCommand,
  casCommand,
  membersCommand,
  memberAddCommand,
  memberPromoteCommand,
  memberRemoveCommand,
  transferLeaderCommand,
  faultKillCommand,
  faultRestartCommand,
  faultPauseCommand,
  faultPartitionCommand,
  faultDelayCommand,
  faultHealCommand,
  clusterUpCommand,
  drillFailoverCommand,
  checkCommand,
  benchCommand,
];

const COMMON_FLAGS = ['help', 'json'];

export async function main(argv: readonly string[]): Promise<ExitCode> {
  let commandName = '';
  let access: Promise<ClusterAccess> | undefined;
  try {
    const line = readCommandLine(argv);
    if (line.words[0] === 'help') return printHelp(line.words.slice(1));
    if (line.flags.has('help')) return printHelp(line.words);
    if (line.words.length === 0) throw new UsageError('no command given; run raftctl --help for the list');
    const { command, operandWords } = findCommand(line.words);
    commandName = command.name;
    const { operands, rest } = checkCommandLine(command, line, operandWords);
    const flags = new Flags(line.flags);
    const out = new Output(flags.bool('json'));
    return await command.run({ operands, flags, rest, out, cluster: () => (access ??= ClusterAccess.fromFlags(flags)) });
  } catch (error) {
    process.stderr.write(`raftctl${commandName ? ` ${commandName}` : ''}: ${describeError(error, commandName)}\n`);
    if (process.env.RAFTCTL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  } finally {
    await access?.then((opened) => opened.close()).catch(() => {});
  }
}

/** The command named by the first word (or two, for a group) and the words after it. */
function findCommand(words: readonly string[]): { command: Command; operandWords: string[] } {
  const [first, second] = words;
  const group = groupOf(first);
  if (group.length === 0) {
    const command = COMMANDS.find((c) => c.name === first);
    if (!command) throw new UsageError(`unknown command "${first}"; run raftctl --help for the list`);
    return { command, operandWords: words.slice(1) };
  }
  const subcommands = group.map((c) => c.name.slice(first.length + 1));
  const command = group.find((c) => c.name === `${first} ${second}`);
  if (command) return { command, operandWords: words.slice(2) };
  const what = second === undefined ? 'needs a subcommand' : `has no subcommand "${second}"`;
  throw new UsageError(`${first} ${what}: ${subcommands.join(', ')} (see raftctl ${first} --help)`);
}

/** The commands whose first word is `word` (member, fault, cluster, drill); none for a single-word command. */
function groupOf(word: string): Command[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${word} `));
}

function checkCommandLine(command: Command, line: CommandLine, operandWords: string[]): { operands: string[]; rest: string[] } {
  const allowed = new Set<string>([...COMMON_FLAGS, ...(command.reachesCluster ? ADDRESSING_FLAGS : []), ...Object.keys(command.flags ?? {})]);
  for (const flag of line.flags.keys()) {
    if (!allowed.has(flag)) throw new UsageError(`--${flag} is not a flag of this command`);
  }
  for (const flag of command.requiredFlags ?? []) {
    if (!line.flags.has(flag)) throw new UsageError(`--${flag} is required`);
  }
  const operands = command.passThrough ? operandWords : [...operandWords, ...line.rest];
  const [min, max] = command.operandCount;
  if (operands.length < min || operands.length > max) {
    const expected = command.operands === '' ? 'no operands' : command.operands;
    const got = operands.length === 0 ? 'none' : operands.map((o) => JSON.stringify(o)).join(' ');
    throw new UsageError(`expected ${expected}, got ${got}`);
  }
  return { operands, rest: command.passThrough ? line.rest : [] };
}

/** Help for the command (or group) these words name; the overview for none. */
function printHelp(words: readonly string[]): ExitCode {
  if (words.length === 0) {
    process.stdout.write(`${overview(COMMANDS)}\n`);
    return 0;
  }
  const group = groupOf(words[0]);
  const text = group.length > 0 && words.length === 1 ? groupHelp(words[0], group) : commandHelp(findCommand(words).command);
  process.stdout.write(`${text}\n`);
  return 0;
}

/** One line; a usage error points to the command's help. */
function describeError(error: unknown, commandName: string): string {
  if (error instanceof UsageError && commandName !== '' && !error.message.includes('--help')) {
    return oneLine(`${error.message} (see raftctl ${commandName} --help)`);
  }
  if (error instanceof Error) return oneLine(error.message);
  return oneLine(String(error));
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return 2;
  if (error instanceof CommandError) return error.exitCode;
  return 1;
}

function crash(error: unknown): void {
  process.stderr.write(`raftctl: ${describeError(error, '')}\n`);
  if (process.env.RAFTCTL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.exit(await main(process.argv.slice(2)));
