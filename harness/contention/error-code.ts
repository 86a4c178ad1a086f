/**
 * Names a failed operation for the "errors by code" table: the server's codeName when
 * it sent one (WriteConflict, DuplicateKey…), else the driver's class for timeouts and
 * network failures. Never throws, whatever it is given.
 */
export function errorCodeName(err: unknown): string {
  if (err === null || typeof err !== 'object') return 'Unknown';
  const e = err as { codeName?: unknown; code?: unknown; name?: unknown };
  if (typeof e.codeName === 'string' && e.codeName !== '') return e.codeName;
  if (e.code === 11000 || e.code === 11001) return 'DuplicateKey';
  if (e.code === 112) return 'WriteConflict';
  if (typeof e.code === 'number') return `code ${e.code}`;
  const name = typeof e.name === 'string' ? e.name : '';
  if (/Timeout/i.test(name)) return 'Timeout';
  if (/Network/i.test(name)) return 'NetworkError';
  return name || 'Unknown';
}

export function isDuplicateKey(err: unknown): boolean {
  return errorCodeName(err) === 'DuplicateKey';
}

/** A failure that means the server is gone, not contended: the step stops. */
export function isFatal(err: unknown): boolean {
  const name = errorCodeName(err);
  return name === 'NetworkError' || name === 'MongoServerSelectionError' || name === 'MongoTopologyClosedError';
}
