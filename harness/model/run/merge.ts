import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RunMergeError } from '../../errors.ts';
import { decodeHistogram, encodeHistogram, mergeInto, newHistogram, summarise, type LatencyHistogram } from '../histogram.ts';
import { emptyCounts, OUTCOMES_FILE, RUN_FORMAT, RUN_FORMAT_VERSION, type HistogramLine, type RunCounts, type RunJson } from './files.ts';
import { readRun, readRunState } from './reader.ts';
import type { CollectionSummary, RunState, StateDifference } from './state.ts';
import { writeHistograms, writeRunJson, writeRunState } from './writer.ts';

/**
 * `mongo-compat run merge RUN_DIR... --out RUN_DIR`: joins shard runs into one. Outcome
 * lines are copied as bytes (each shard replayed disjoint connections, so no line
 * repeats); histograms of the same target × app × command × shape are added, which
 * is lossless; counts are summed. Runs of different targets, or two runs of the same
 * shard, are refused. State after writes is merged per collection (mergeStates).
 */
export async function mergeRuns(dirs: readonly string[], out: string): Promise<RunJson> {
  if (dirs.length === 0) throw new RunMergeError('merge: no run directories given');
  const runs = await Promise.all(dirs.map((d) => readRun(d)));
  const first = runs[0]!.run;
  const targetsKey = (r: RunJson) => r.targets.map((t) => `${t.name}:${t.role}`).join(',');
  const seenShards = new Set<number>();
  for (const { dir, run } of runs) {
    if (targetsKey(run) !== targetsKey(first)) {
      throw new RunMergeError(`${dir}: targets ${targetsKey(run)} differ from ${runs[0]!.dir}'s ${targetsKey(first)}`);
    }
    if (run.shard) {
      if (first.shard && run.shard.count !== first.shard.count) throw new RunMergeError(`${dir}: shard of ${run.shard.count}, others of ${first.shard.count}`);
      if (seenShards.has(run.shard.index)) throw new RunMergeError(`${dir}: shard ${run.shard.index}/${run.shard.count} given twice`);
      seenShards.add(run.shard.index);
    }
  }
  await mkdir(out, { recursive: true });
  const sink = createWriteStream(join(out, OUTCOMES_FILE));
  for (const { dir } of runs) await pipeline(createReadStream(join(dir, OUTCOMES_FILE)), sink, { end: false });
  await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));

  const hists = new Map<string, { line: Omit<HistogramLine, 'hist' | 'count'>; hist: LatencyHistogram }>();
  for (const { histograms } of runs) {
    for (const h of histograms) {
      const key = `${h.target}\u0000${h.app}\u0000${h.cmd}\u0000${h.shape}`;
      let entry = hists.get(key);
      if (!entry) hists.set(key, (entry = { line: { target: h.target, app: h.app, cmd: h.cmd, shape: h.shape, shapeText: h.shapeText }, hist: newHistogram() }));
      mergeInto(entry.hist, h.hist);
    }
  }
  await writeHistograms(
    out,
    [...hists.values()].map((e) => ({ ...e.line, count: e.hist.totalCount, hist: encodeHistogram(e.hist) })),
  );

  const counts = emptyCounts();
  let lag: LatencyHistogram | undefined;
  for (const { run } of runs) {
    addCounts(counts, run.counts);
    if (run.scheduleLag) mergeInto((lag ??= newHistogram()), decodeHistogram(run.scheduleLag.hist));
  }
  const lagSummary = lag ? summarise(lag) : undefined;
  const merged: RunJson = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    status: runs.every((r) => r.run.status === 'complete') ? 'complete' : 'interrupted',
    inputs: [...new Set(runs.flatMap((r) => r.run.inputs))],
    targets: first.targets.map((t) => ({ ...t, ...(runs.some((r) => r.run.targets.find((x) => x.name === t.name)?.down) ? { down: runs.map((r) => r.run.targets.find((x) => x.name === t.name)?.down).find(Boolean) } : {}) })),
    options: first.options,
    counts,
    ...(first.preflight
      ? {
          preflight: {
            method: first.preflight.method,
            alike: runs.every((r) => r.run.preflight?.alike !== false),
            namespaces: Math.max(...runs.map((r) => r.run.preflight?.namespaces ?? 0)),
            mismatches: [...new Set(runs.flatMap((r) => r.run.preflight?.mismatches ?? []))],
          },
        }
      : {}),
    notes: [...new Set(runs.flatMap((r) => r.run.notes))],
    ...(lag && lagSummary ? { scheduleLag: { p50Us: lagSummary.p50Us, p99Us: lagSummary.p99Us, maxUs: lagSummary.maxUs, count: lag.totalCount, hist: encodeHistogram(lag) } } : {}),
    startedAt: runs.map((r) => r.run.startedAt).sort()[0]!,
    endedAt: runs.map((r) => r.run.endedAt).sort().at(-1)!,
    mergedFrom: [...dirs],
  };
  const notes = first.shard && seenShards.size !== first.shard.count ? [...merged.notes, `merge: ${seenShards.size} of ${first.shard.count} shards present`] : merged.notes;
  const final = { ...merged, notes };
  const states = await Promise.all(runs.map(async (r) => ({ endedAt: r.run.endedAt, dir: r.dir, state: await readRunState(r.dir) })));
  const state = mergeStates(states.filter((s): s is typeof s & { state: RunState } => s.state !== undefined));
  if (state) await writeRunState(out, state);
  await writeRunJson(out, final);
  return final;
}

/**
 * State after writes of shard runs, one per collection: shards write to the same
 * targets, so each collection's read-back that came last (the run that ended last among
 * those that read it) is the one that saw every shard's writes before it. Earlier
 * read-backs of the same collection are dropped, and the merged state says which run
 * each collection comes from when they differ.
 */
export function mergeStates(states: readonly { readonly endedAt: string; readonly dir: string; readonly state: RunState }[]): RunState | undefined {
  if (states.length === 0) return undefined;
  const latestFirst = [...states].sort((a, b) => b.endedAt.localeCompare(a.endedAt));
  /** ns → the run whose read-back is kept. */
  const owner = new Map<string, (typeof states)[number]>();
  for (const s of latestFirst) {
    for (const list of Object.values(s.state.targets)) for (const c of list) if (!owner.has(c.ns)) owner.set(c.ns, s);
    for (const d of s.state.differences) if (!owner.has(d.ns)) owner.set(d.ns, s);
  }
  const targets: Record<string, CollectionSummary[]> = {};
  const differences: StateDifference[] = [];
  for (const s of latestFirst) {
    for (const [t, list] of Object.entries(s.state.targets)) for (const c of list) if (owner.get(c.ns) === s) (targets[t] ??= []).push(c);
    for (const d of s.state.differences) if (owner.get(d.ns) === s) differences.push(d);
  }
  for (const list of Object.values(targets)) list.sort((a, b) => a.ns.localeCompare(b.ns));
  differences.sort((a, b) => a.ns.localeCompare(b.ns) || a.candidate.localeCompare(b.candidate));
  const sources = new Set(owner.values());
  const notes = [...new Set(states.flatMap((s) => s.state.notes))];
  if (sources.size > 1) notes.push(`merge: each collection's state is the last read-back of it (${[...sources].map((s) => s.dir).join(', ')})`);
  return { baseline: latestFirst[0]!.state.baseline, targets, differences, notes };
}

function addCounts(into: RunCounts, from: RunCounts): void {
  into.records += from.records;
  into.outcomes += from.outcomes;
  into.folded += from.folded;
  into.differences += from.differences;
  for (const [k, v] of Object.entries(from.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.perTarget)) {
    const t = (into.perTarget[k] ??= { ok: 0, error: 0, unavailable: 0, skipped: 0 });
    t.ok += v.ok;
    t.error += v.error;
    t.unavailable += v.unavailable;
    t.skipped += v.skipped;
  }
}
