import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A target's `before` or `after` hook: one shell command, run to completion with the
 * target's name and the run id in its environment, stdout and stderr into a log file
 * of the run directory. Resolves with null when it exits 0, else with one line saying
 * what happened (never throws), so the caller can mark the cell and go on.
 */
export interface HookRun {
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly timeoutMs: number;
  /** How the error line names the hook: `before hook of c2`. */
  readonly what: string;
}

export async function runHook(h: HookRun): Promise<string | null> {
  await mkdir(dirname(h.logFile), { recursive: true });
  const log = await open(h.logFile, 'w');
  try {
    return await new Promise<string | null>((resolve) => {
      const child = spawn(h.command, { shell: true, env: { ...process.env, ...h.env }, stdio: ['ignore', log.fd, log.fd] });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, h.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve(`${h.what} could not start: ${err.message.split('\n')[0]} (see ${h.logFile})`);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) resolve(`${h.what} timed out after ${h.timeoutMs} ms (see ${h.logFile})`);
        else if (code === 0) resolve(null);
        else resolve(`${h.what} failed with ${code !== null ? `exit status ${code}` : `signal ${signal}`} (see ${h.logFile})`);
      });
    });
  } finally {
    await log.close();
  }
}
