import { readFileSync } from 'node:fs';

/** The tool name and version stamped into every capture header. */
export const TOOL: { readonly name: string; readonly version: string } = Object.freeze({
  name: 'mongo-compat',
  version: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
});
