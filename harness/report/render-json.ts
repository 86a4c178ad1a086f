import type { ReportDocument } from './schema.ts';

/** The report document itself: the documented, versioned schema in schema.ts. */
export function renderJson(doc: ReportDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
