// What a raftctl command is (its name, operands, flags and help) and what it runs with.
import type { FlagName, Flags } from './args.ts';
import type { ClusterAccess } from './cluster-access.ts';
import type { Output } from './output.ts';

export interface Command {
  /** One or two words: `status`, `member add`. */
  name: string;
  /** Operands as help shows them: `KEY VALUE`, `ID[,ID...]`. */
  operands: string;
  /** How many operands it takes: [min, max]. */
  operandCount: [number, number];
  /** One line for the command list. */
  summary: string;
  /** More lines for `raftctl CMD --help`. */
  details?: string[];
  /** Its own flags, each with what it means here. */
  flags?: Partial<Record<FlagName, string>>;
  /** Those of its flags that must be given, shown in the usage line. */
  requiredFlags?: FlagName[];
  /** It reaches a cluster: --endpoints or --dir (and the auth flags) apply. */
  reachesCluster: boolean;
  /** What words after a lone `--` mean for it; without this they are operands. */
  passThrough?: string;
  run(context: CommandContext): Promise<ExitCode>;
}

/** 0: success; 1: the operation failed or found a problem; 2: bad input or unknown outcome; 130: Ctrl-C. */
export type ExitCode = 0 | 1 | 2 | 130;

export interface CommandContext {
  operands: string[];
  flags: Flags;
  /** Words after a lone `--`, for a command with `passThrough`. */
  rest: string[];
  out: Output;
  /** The addressed cluster; only for commands that reach one. */
  cluster(): Promise<ClusterAccess>;
}

/** A failure with a message meant for the user as is, and the exit code to end with. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = 1,
  ) {
    super(message);
  }
}
