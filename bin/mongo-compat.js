#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a fresh clone works after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli/main.ts');
