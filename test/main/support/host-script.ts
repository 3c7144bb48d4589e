// A host process for the no-orphans test: hosts a one-member cluster in the folder given, prints
// the member pids as JSON, then either waits for a signal ("wait") or exits at once ("exit").
import { LocalCluster } from '../../../src/main/hosting/local-cluster.ts';

const [dir, mode] = process.argv.slice(2);
const cluster = await LocalCluster.create({ dir, size: 1 });
process.stdout.write(`${JSON.stringify(cluster.members().map((m) => m.pid))}\n`);
if (mode === 'exit') process.exit(0);
