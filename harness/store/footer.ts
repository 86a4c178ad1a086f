import { z } from 'zod';

/**
 * The last line of a capture file closed cleanly: what the writer knew that no record
 * can say (how many records it dropped because it was behind). Its absence means the
 * writer never closed that file: a crash, or a capture still being written.
 */
export const CaptureFooterSchema = z
  .object({
    footer: z
      .object({
        /** Records in this file. */
        records: z.number().int().nonnegative(),
        /** Records dropped while this file was the current one (queue full). */
        dropped: z.number().int().nonnegative(),
        /** ISO-8601 time the file was closed. */
        closedAt: z.string(),
        /** False when the capture continues in a next part (rotation). */
        last: z.boolean(),
      })
      .strict(),
  })
  .strict();

export type CaptureFooter = z.infer<typeof CaptureFooterSchema>['footer'];

/** A footer line starts with this; no record line can (records start with `{"seq"`). */
export const FOOTER_PREFIX = '{"footer":';
