import { parentPort } from 'node:worker_threads';
import { runLoad } from './load.ts';
import { runPaced } from './paced.ts';
import { startStandInServer } from './stand-in-server.ts';

/*
 * The stand-in server and the load generator run in this worker thread, the proxy or
 * the pipe under test in the main thread: each side gets its own event loop (and on
 * two cores, its own core), as an application, a proxy and a server would.
 */
const server = await startStandInServer();
parentPort!.postMessage({ type: 'ready', port: server.port });
type Msg =
  | { type: 'load'; port: number; connections: number; durationMs: number; warmupMs: number }
  | { type: 'paced'; port: number; connections: number; ratePerSec: number; durationMs: number; warmupMs: number }
  | { type: 'stop' };
parentPort!.on('message', (msg: Msg) => {
  if (msg.type === 'stop') {
    void server.stop().then(() => process.exit(0));
    return;
  }
  if (msg.type === 'paced') {
    void runPaced(msg.port, msg.connections, msg.ratePerSec, msg.durationMs, msg.warmupMs).then((result) => parentPort!.postMessage({ type: 'result', result }));
    return;
  }
  void runLoad(msg.port, msg.connections, msg.durationMs, msg.warmupMs).then((result) => parentPort!.postMessage({ type: 'result', result }));
});
