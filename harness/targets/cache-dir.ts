import { homedir } from 'node:os';
import { join } from 'node:path';

/** Build caches live outside git: $MONGO_COMPAT_CACHE, else $XDG_CACHE_HOME/mongo-compat, else ~/.cache/mongo-compat. */
export function cacheDir(): string {
  if (process.env.MONGO_COMPAT_CACHE) return process.env.MONGO_COMPAT_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mongo-compat');
}
