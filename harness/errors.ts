/**
 * One error hierarchy for every user-facing failure. Each class carries a stable
 * `code` (API: never rename one) and a one-line message that names the file, line,
 * field or target concerned. The CLI prints `code: message` and exits non-zero.
 */
export class CompatError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A command-line flag or config value is invalid. */
export class UsageError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_USAGE', message, options);
  }
}

/** A target specification (`NAME=KIND[:VERSION]` or a URI) cannot be understood. */
export class TargetSpecError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_TARGET_SPEC', message, options);
  }
}

/** A target kind cannot run on this machine (no Docker, no binary, no Go...). */
export class TargetUnavailableError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_TARGET_UNAVAILABLE', message, options);
  }
}

/** A target was started or addressed but did not answer in time. */
export class TargetUnreachableError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_TARGET_UNREACHABLE', message, options);
  }
}

/** Building the local FerretDB server failed. */
export class FerretDbBuildError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_FERRETDB_BUILD', message, options);
  }
}

/** A config file is missing, unreadable or invalid. */
export class ConfigError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_CONFIG', message, options);
  }
}

/** Bytes on the wire are not a valid MongoDB message (bad length, opcode, section, checksum, BSON). */
export class WireProtocolError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_WIRE_MALFORMED', message, options);
  }
}

/** The recording proxy cannot start or serve (listen address taken, bad TLS files, bad upstream). */
export class ProxyError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_PROXY', message, options);
  }
}

/** A capture file cannot be read at all: missing, empty, not gzip, or another tool's file. */
export class CaptureUnreadableError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_CAPTURE_UNREADABLE', message, options);
  }
}

/** A capture file of a format version this build does not know. */
export class CaptureVersionError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_CAPTURE_VERSION', message, options);
  }
}

/** An ingest input (log file, profile URI, traffic recording) cannot be read at all. */
export class IngestInputError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_INGEST_INPUT', message, options);
  }
}

/** An ingest source was read to the end and held no operation to record. */
export class IngestNoOperationsError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_INGEST_NO_OPERATIONS', message, options);
  }
}

/**
 * An ingest input ended early or was damaged part-way (gzip cut short, corrupt bytes, a
 * profiler cursor that died, a traffic packet cut in two). What came before was read
 * and written; `input` and `at` say where the damage is.
 */
export class IngestTruncatedError extends CompatError {
  readonly input: string;
  /** Where the input stops being readable, e.g. `byte 4096` or `line 17`. */
  readonly at: string;

  constructor(input: string, at: string, reason: string, options?: { cause?: unknown }) {
    super('MC_INGEST_TRUNCATED', `${input}: input cut short at ${at}: ${reason}`, options);
    this.input = input;
    this.at = at;
  }
}

/** A run directory (run.json, histograms) cannot be read. */
export class RunCorruptError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_RUN_CORRUPT', message, options);
  }
}

/** Replaying writes was asked for against the deployment the capture came from. */
export class WriteToSourceError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_REPLAY_WRITE_TO_SOURCE', message, options);
  }
}

/** Writing a capture file failed (a full disk, an I/O error): records were lost and counted. */
export class CaptureWriteError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_CAPTURE_WRITE', message, options);
  }
}

/** A capture file holds a second header: several captures joined into one file. */
export class CaptureConcatenatedError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_CAPTURE_CONCATENATED', message, options);
  }
}

/** Writes were allowed and two targets proved to be one server: every write would run twice there. */
export class SameServerError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_REPLAY_SAME_SERVER', message, options);
  }
}

/** Targets did not start alike and --strict-preflight was given. */
export class PreflightMismatchError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_REPLAY_PREFLIGHT_MISMATCH', message, options);
  }
}

/**
 * The replayer's connection to a target failed: refused, reset, closed mid-reply, or
 * answered with bytes that are not a reply. `sent` is false when the request never
 * left this process, so even a write may be retried.
 */
export class ReplayNetworkError extends CompatError {
  readonly sent: boolean;

  constructor(message: string, options: { sent: boolean; cause?: unknown }) {
    super('MC_REPLAY_NETWORK', message, options);
    this.sent = options.sent;
  }
}

/** A replayed command got no reply within its timeout; the connection it was sent on is closed. */
export class ReplayTimeoutError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_REPLAY_TIMEOUT', message, options);
  }
}

/** Runs given to merge cannot be merged (different targets, format, or overlapping shards). */
export class RunMergeError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_RUN_MERGE', message, options);
  }
}

/** The contention bench found a broken guarantee (a job claimed twice, two lock holders, a lost update). */
export class BenchInvariantError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_BENCH_INVARIANT', message, options);
  }
}

/** A report input (run directory, bench result, format list) cannot be used. */
export class ReportInputError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_REPORT_INPUT', message, options);
  }
}

/** A scenario cannot run: unknown name, bad scale or count, no TLS tooling, a target that refused the seed. */
export class ScenarioError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_SCENARIO', message, options);
  }
}

/** The suite cannot run or keep its history: no apps, no baseline, an app whose captures match nothing, an unwritable history. */
export class SuiteError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_SUITE', message, options);
  }
}

/** Shadow cannot run: its live view cannot listen, or its run directory cannot be written. */
export class ShadowError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_SHADOW', message, options);
  }
}

/** The demo could not complete a stage (a server, the proxy, the replay). */
export class DemoError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_DEMO', message, options);
  }
}

/** Renders any thrown value as one line, for the CLI and for logs. */
export function oneLine(err: unknown): string {
  if (err instanceof CompatError) return `${err.code}: ${firstLine(err.message)}`;
  if (err instanceof Error) return firstLine(err.message) || err.name;
  return firstLine(String(err));
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).trim();
}
