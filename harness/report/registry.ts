import type { ContentionResult } from '../contention/result.ts';
import { ReportInputError } from '../errors.ts';
import { renderContentionHtml } from './contention/render-html.ts';
import { renderContentionMarkdown } from './contention/render-markdown.ts';
import { renderHtml } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderJunit } from './render-junit.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { ReportDocument } from './schema.ts';

/**
 * One pure renderer per format, and the file each writes. A format that can also
 * present a contention benchmark result on its own (`bench contention`) says how;
 * that result's file names are the sweep's (contention/write-output.ts).
 */
export interface Renderer {
  readonly file: string;
  render(doc: ReportDocument): string;
  readonly contention?: (result: ContentionResult) => string;
}

export const RENDERERS = Object.freeze({
  json: { file: 'report.json', render: renderJson },
  md: { file: 'report.md', render: renderMarkdown, contention: renderContentionMarkdown },
  html: { file: 'report.html', render: renderHtml, contention: renderContentionHtml },
  junit: { file: 'junit.xml', render: renderJunit },
} satisfies Record<string, Renderer>);

export type ReportFormat = keyof typeof RENDERERS;
export const REPORT_FORMATS = Object.freeze(Object.keys(RENDERERS) as ReportFormat[]);

/** `md,html` → ['md', 'html']; an unknown name is a usage error naming it. */
export function parseFormats(text: string): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const raw of text.split(',')) {
    const f = raw.trim().toLowerCase();
    if (!f) continue;
    const name = f === 'markdown' ? 'md' : f === 'xml' ? 'junit' : f;
    // Own keys only: `toString` is `in` every object.
    if (!Object.hasOwn(RENDERERS, name)) throw new ReportInputError(`formats: ${raw.trim()} is an unknown format (known: ${REPORT_FORMATS.join(', ')})`);
    if (!out.includes(name as ReportFormat)) out.push(name as ReportFormat);
  }
  if (out.length === 0) throw new ReportInputError('formats: no format given');
  return out;
}
