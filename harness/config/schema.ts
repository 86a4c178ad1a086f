import { z } from 'zod';

/**
 * The one config schema (`mongo-compat.config.yaml`). Types are inferred from it and
 * defaults live only here. Every stage adds its own section; flags given on the
 * command line win over the file.
 */
export const TargetMapSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'target names may only hold letters, digits, _ . -'), z.string().min(1))
  .describe('named targets: NAME: mongodb://… | ferretdb | memory-server:VERSION | container:TAG');

export const ConfigSchema = z
  .object({
    targets: TargetMapSchema.default({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
