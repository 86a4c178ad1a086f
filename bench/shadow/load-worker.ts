import { parentPort } from 'node:worker_threads';
import { runLoad } from '../proxy/load.ts';

/** The application: closed-loop load in its own thread (its own event loop), as an app would be. */
parentPort!.on('message', (msg: { port: number; connections: number; durationMs: number; warmupMs: number }) => {
  void runLoad(msg.port, msg.connections, msg.durationMs, msg.warmupMs).then((result) => parentPort!.postMessage({ result }));
});
parentPort!.postMessage({ ready: true });
