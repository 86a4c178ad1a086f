/**
 * The batch layout between the forwarding thread and the recording worker: one
 * Float64Array of fixed-size entries and one buffer of message bytes, both transferred
 * (not copied) with each postMessage. Entry fields: kind, session, startUs, endUs,
 * length (message entries take their bytes from the data buffer in entry order).
 * Epoch microseconds (~1.8e15) are exact in a float64.
 */
export const ENTRY = Object.freeze({ request: 1, reply: 2, close: 3, gap: 4 } as const);
export const ENTRY_FIELDS = 5;
