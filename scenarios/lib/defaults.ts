/** `scenario run`'s defaults, apart from the runner so that `--help` shows them without loading it. */
export const SCENARIO_DEFAULTS = Object.freeze({ scale: 1, ops: 500, seed: 17 });
