/** Microseconds since the Unix epoch, monotonic within the process (performance.now based). */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
