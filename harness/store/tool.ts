import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.ts';

/** The tool name and version stamped into every capture header. */
export const TOOL: { readonly name: string; readonly version: string } = Object.freeze({
  name: 'mongo-compat',
  version: (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version,
});
