import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintCaptures } from '../../../harness/lint/lint.ts';
import { readCapture } from '../../../harness/store/reader.ts';

/**
 * Lint of the sample captures in captures/ (the scenarios' recorded traffic): whatever
 * the scenarios hold, findings about opcodes follow from the opcodes in the capture.
 * A capture of OP_MSG traffic (the handshake's OP_QUERY isMaster aside) flags nothing
 * about legacy opcodes; one with OP_QUERY finds or legacy writes flags their 5.1 removal.
 */
const dir = new URL('../../../captures/', import.meta.url);
const samples = existsSync(dir) ? readdirSync(dir).filter((f) => /^[^.]+\.jsonl\.gz$/.test(f)).sort() : [];

describe.skipIf(samples.length === 0)('lint of the sample captures', () => {
  for (const name of samples) {
    it(`${name}: legacy-opcode findings exactly where the capture has legacy opcodes`, async () => {
      const file = new URL(name, dir).pathname;
      const opQueryFinds = new Set<string>();
      const legacyWrites = new Set<string>();
      for await (const r of readCapture(file)) {
        const app = r.app ?? '';
        if (r.op === 'OP_QUERY' && r.cmd === 'find') opQueryFinds.add(app);
        if (['OP_INSERT', 'OP_UPDATE', 'OP_DELETE', 'OP_KILL_CURSORS'].includes(r.op)) legacyWrites.add(app);
      }
      const result = await lintCaptures([file], { from: '4.2', to: '8.0' });
      expect(result.records).toBeGreaterThan(0);
      for (const app of result.apps) {
        const rules = new Set(app.steps.flatMap((s) => s.findings.map((f) => f.rule)));
        const label = app.app === '(unlabelled)' ? '' : app.app;
        expect(rules.has('op-query-find'), `${name} ${app.app}`).toBe(opQueryFinds.has(label));
        expect(rules.has('legacy-write-opcodes'), `${name} ${app.app}`).toBe(legacyWrites.has(label));
      }
    });
  }
});
