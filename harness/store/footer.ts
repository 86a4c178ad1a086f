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
        /**
         * Set when the source the capture was made from ended early or was damaged (ingest
         * of a cut gzip log, a dead profiler cursor, a cut traffic recording): the capture
         * holds what was read before that point. Absent in captures of whole inputs and in
         * every capture written before the field existed.
         */
        inputCut: z
          .object({
            /** The input file (or profiler collection) that was cut. */
            input: z.string(),
            /** Where, in the input's own units: `byte N`, `line N`, `document N`, `packet N`. */
            at: z.string(),
            reason: z.string(),
          })
          .strict()
          .optional(),
        /**
         * What the source the capture was read from held and lost, as named counters, in
         * the last footer (packet captures: packets, connections, gaps, lost bytes,
         * unpaired requests, …). Absent where the source has nothing to report.
         */
        quality: z.record(z.string(), z.number().int().nonnegative()).optional(),
      })
      .strict(),
  })
  .strict();

export type CaptureFooter = z.infer<typeof CaptureFooterSchema>['footer'];
export type InputCut = NonNullable<CaptureFooter['inputCut']>;
export type SourceQuality = NonNullable<CaptureFooter['quality']>;

/** A footer line starts with this; no record line can (records start with `{"seq"`). */
export const FOOTER_PREFIX = '{"footer":';
