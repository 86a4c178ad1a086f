import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { escXml, xmlAttr, xmlText } from '../../../harness/report/escape.ts';
import { RENDERERS } from '../../../harness/report/registry.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { makeRun } from '../../fixtures/report/make-run.ts';

/** Whatever an app is called or a reason says, the XML stays well-formed and the HTML holds no live markup from it. */
let dir: string;
let doc: ReportDocument;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-esc-'));
  doc = await buildReport(await makeRun(join(dir, 'run')), ConfigSchema.parse({}));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function relabel(d: ReportDocument, app: string, message: string): ReportDocument {
  return {
    ...d,
    summary: d.summary.map((s) => ({ ...s, app, reasons: s.reasons.map((r) => ({ ...r, message })) })),
    apps: d.apps.map((a) => ({ ...a, app })),
  };
}

const xmllint = spawnSync('xmllint', ['--version']).status === 0;

describe('escaping in renderers', () => {
  it.skipIf(!xmllint)('JUnit XML is well-formed for any app name and message', async () => {
    const docs: string[] = [];
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (app, message) => {
        docs.push(RENDERERS.junit.render(relabel(doc, app, message)) as string);
      }),
      { numRuns: 25 },
    );
    // One xmllint call over all the samples keeps the test fast.
    const files: string[] = [];
    for (let i = 0; i < docs.length; i++) {
      const f = join(dir, `j${i}.xml`);
      await writeFile(f, docs[i]!);
      files.push(f);
    }
    const r = spawnSync('xmllint', ['--noout', ...files], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('HTML never carries markup from names or messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), (text) => {
        const probe = `<script>x${text}</script><img src=x>`;
        return Promise.resolve(RENDERERS.html.render(relabel(doc, probe, probe))).then((html) => {
          expect(html).not.toContain('<script>');
          expect(html).not.toContain('<img');
        });
      }),
      { numRuns: 25 },
    );
  });
});

/** Numeric character references back to characters, as a parser reads them. */
const unescape = (text: string): string => text.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

describe('escape helpers', () => {
  it('escXml leaves no markup character and reads back as the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = escXml(text);
        expect(out).not.toMatch(/[<>"']|&(?!#\d+;)/);
        expect(unescape(out)).toBe(text);
      }),
    );
  });

  it('xmlAttr keeps newlines and tabs as references, so a parser does not fold them to spaces', () => {
    expect(xmlAttr('a\nb\tc"<')).toBe('a&#10;b&#9;c&#34;&#60;');
  });

  it('xmlText and xmlAttr replace the control characters XML 1.0 cannot carry', () => {
    expect(xmlText('a\u0001b\u001fc\n')).toBe('a\ufffdb\ufffdc\n');
    expect(xmlAttr('\u0000')).toBe('\ufffd');
  });
});
