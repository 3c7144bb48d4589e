// The raft-node entry point: parse the command line, start the node, and turn any startup
// failure into one clear line on stderr and a non-zero exit.
import { parseOptions } from './options.ts';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

const parsed = parseOptions(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  process.stdout.write(parsed.text);
} else if (parsed.kind === 'error') {
  process.stderr.write(`raft-node: ${parsed.message}\n`);
  process.exitCode = EXIT_USAGE;
} else {
  try {
    // Loaded only now, so --help and flag errors answer without loading the whole node.
    const { startNode } = await import('./node.ts');
    await startNode(parsed.options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`raft-node: ${message.replace(/\s*\n\s*/g, '; ')}\n`);
    process.exit(EXIT_FAILURE);
  }
}
