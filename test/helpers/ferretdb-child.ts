// Starts FerretDB through the target API, prints its pid, then ends in the way the
// first argument names, so a test can check the server does not outlive it.
import { startFerretDb } from '../../harness/targets/ferretdb.ts';

const mode = process.argv[2] ?? 'hang';
const server = await startFerretDb({ name: 'child', replicaSet: false });
process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port, dataDir: server.dataDir })}\n`);
if (mode === 'exit') process.exit(0);
if (mode === 'throw') setTimeout(() => {
  throw new Error('a test that crashed');
}, 10);
if (mode === 'hang') setInterval(() => undefined, 1_000);
