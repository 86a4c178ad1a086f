import http from 'node:http';
import type { CompareResult } from '../compare/types.ts';
import { ShadowError } from '../errors.ts';
import type { FeedStatus } from './feed.ts';
import type { MirrorStatus } from './gate.ts';

/** Everything the live view shows, as the shadow knows it now. */
export interface ShadowStatus {
  readonly state: 'running' | 'stopping' | 'stopped';
  readonly startedAt: string;
  readonly run: string;
  readonly listen: readonly string[];
  readonly upstream: string;
  readonly production: 'baseline' | 'recorded';
  readonly feed: FeedStatus;
  /** Outcomes written so far, and records the mirror has taken. */
  readonly outcomes: number;
  readonly records: number;
  readonly targets: readonly (MirrorStatus & { readonly role: 'baseline' | 'candidate' })[];
  /** The comparison of the outcomes so far (recomputed at most once a second). */
  readonly compare: CompareResult;
}

/** The live view's JSON (GET /status.json): what a person or a dashboard reads. */
export interface LiveStatus {
  readonly state: ShadowStatus['state'];
  readonly startedAt: string;
  readonly run: string;
  readonly listen: readonly string[];
  readonly upstream: string;
  readonly production: ShadowStatus['production'];
  readonly operations: { readonly seen: number; readonly mirrored: number; readonly waiting: number; readonly outcomes: number; readonly compared: number };
  /** Operations not mirrored at all, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly targets: ShadowStatus['targets'];
  readonly verdicts: readonly { readonly app: string; readonly candidate: string; readonly level: string; readonly counts: Readonly<Record<string, number>>; readonly reasons: readonly string[] }[];
  /** Difference groups so far, the worst first, each with its first example. */
  readonly differences: readonly {
    readonly candidate: string;
    readonly app: string;
    readonly class: string;
    readonly shape: string;
    readonly count: number;
    readonly cause?: string;
    readonly paths: readonly string[];
    readonly example: { readonly seq: number; readonly command: string; readonly diffs: readonly unknown[] };
  }[];
  /** How many groups there are (the list above is cut). */
  readonly groups: number;
  /** Paired latency ratio per shape and candidate, where there are enough pairs. */
  readonly latency: readonly { readonly candidate: string; readonly app: string; readonly shape: string; readonly ratio: number; readonly lower: number; readonly upper: number; readonly pairs: number; readonly judgement: string; readonly level: string }[];
}

/**
 * Operations the forwarding thread did not hand over because the mirror thread was
 * behind by more than its backlog bound: they were never decoded, so they count as
 * seen and dropped (`mirror-behind`).
 */
export function withUnposted<T extends Record<string, number>>(dropped: T, unposted: number): T & { 'mirror-behind': number } {
  return { ...dropped, 'mirror-behind': unposted };
}

/** Groups and latency rows shown live: the worst first, this many at most. */
const SHOWN = 50;

/** The live JSON: the status with the comparison cut to what a person or a dashboard reads. */
export function statusJson(s: ShadowStatus): LiveStatus {
  const c = s.compare;
  return {
    state: s.state,
    startedAt: s.startedAt,
    run: s.run,
    listen: s.listen,
    upstream: s.upstream,
    production: s.production,
    operations: { seen: s.feed.seen, mirrored: s.feed.queued, waiting: s.feed.waiting, outcomes: s.outcomes, compared: c.operations },
    dropped: s.feed.dropped,
    targets: s.targets,
    verdicts: c.verdicts.map((v) => ({ app: v.app, candidate: v.candidate, level: v.level, counts: v.counts as Record<string, number>, reasons: v.reasons.map((r) => `${r.level}: ${r.message}`) })),
    differences: c.groups.slice(0, SHOWN).map((g) => ({
      candidate: g.candidate,
      app: g.app,
      class: g.class,
      shape: g.label,
      count: g.count,
      ...(g.cause ? { cause: g.cause } : {}),
      paths: g.paths.slice(0, 5).map((p) => p.path),
      example: { seq: g.example.seq, command: g.example.command, diffs: g.example.diffs.slice(0, 5) },
    })),
    groups: c.groups.length,
    latency: c.latency
      .filter((l) => l.paired !== null)
      .slice(0, SHOWN)
      .map((l) => ({ candidate: l.candidate, app: l.app, shape: l.shape, ratio: l.paired!.ratio, lower: l.paired!.lower, upper: l.paired!.upper, pairs: l.paired!.n, judgement: l.judgement, level: l.level })),
  };
}

/**
 * The live view: `GET /status.json` the JSON above, `GET /` a page that reloads itself
 * every two seconds. Read-only; it listens where it is told (127.0.0.1 by default).
 */
export async function liveView(host: string, port: number, get: () => Promise<LiveStatus>): Promise<{ address: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/status.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(await get())}\n`);
        return;
      }
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(statusPage(await get()));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET / or /status.json\n');
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ShadowError(`--status ${host}:${port}: cannot listen (${err.code ?? err.message})`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as import('node:net').AddressInfo).port;
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '<p>none</p>';
  return `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function statusPage(j: LiveStatus): string {
  const ops = j.operations;
  const targets = j.targets;
  const diffs = j.differences;
  const latency = j.latency;
  const verdicts = j.verdicts;
  const dropped = Object.entries(j.dropped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>mongo-compat shadow</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f4f4f4}.fail{color:#b00}.warn{color:#a60}.pass{color:#070}</style></head><body>
<h1>shadow of ${esc(j.upstream)} <small>(${esc(j.state)}, since ${esc(j.startedAt)})</small></h1>
<p>${esc(ops.seen)} operation(s) seen, ${esc(ops.mirrored)} mirrored, ${esc(ops.waiting)} waiting, ${esc(ops.compared)} compared; not mirrored: ${esc(dropped || 'none')}. Production's replies are ${j.production === 'baseline' ? 'the baseline' : 'the recorded replies'}. Run directory ${esc(j.run)}.</p>
<h2>Verdicts so far</h2>${table(['app', 'candidate', 'verdict', 'reasons'], verdicts.map((v) => [v.app, v.candidate, v.level.toUpperCase(), v.reasons.join('; ')]))}
<h2>Targets</h2>${table(['target', 'role', 'sent', 'behind', 'unavailable', 'lag p50 ms', 'lag p99 ms', 'down'], targets.map((t) => [t.name, t.role, t.mirrored, t.dropped.behind, t.dropped.unavailable, t.lagMs ? t.lagMs.p50.toFixed(1) : '', t.lagMs ? t.lagMs.p99.toFixed(1) : '', t.down ?? '']))}
<h2>Differences (${esc(j.groups)} group(s))</h2>${table(['candidate', 'app', 'class', 'shape', 'operations', 'cause', 'paths', 'first seq'], diffs.map((d) => [d.candidate, d.app, d.class, d.shape, d.count, d.cause ?? '', d.paths.join(', '), d.example.seq]))}
<h2>Latency (paired ratio candidate / baseline)</h2>${table(['candidate', 'app', 'shape', 'ratio', 'interval', 'pairs', 'level'], latency.map((l) => [l.candidate, l.app, l.shape, `×${l.ratio.toFixed(2)}`, `[${l.lower.toFixed(2)}, ${l.upper.toFixed(2)}]`, l.pairs, l.level]))}
</body></html>`;
}
