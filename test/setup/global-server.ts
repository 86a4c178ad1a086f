import type { TestProject } from 'vitest/node';
import { obtainTestServer } from './obtain-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    mongoKind: string;
    mongoProduct: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await obtainTestServer((line) => process.stderr.write(`[test server] ${line}\n`));
  process.stderr.write(`[test server] ${server.kind}: ${server.product} at ${server.displayUri}\n`);
  project.provide('mongoUri', server.uri);
  project.provide('mongoKind', server.kind);
  project.provide('mongoProduct', server.product);
  return () => server.stop();
}
