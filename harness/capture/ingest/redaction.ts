/**
 * Whether the server replaced values in a logged command. With
 * `security.redactClientLogData` (Enterprise) every value of a logged document prints
 * as `"###"` (`BSONObj::redact`, logv2 `redact()`); commands that carry a secret
 * replace it in `redactForLogging` (createUser/updateUser print `pwd: "xxx"`,
 * user_management_commands.cpp). Such a command would replay other values than the
 * application sent.
 */
const MAX_NODES = 100_000;

export function isRedacted(command: Record<string, unknown>): boolean {
  if (command.pwd === 'xxx') return true;
  let budget = MAX_NODES;
  const stack: unknown[] = [command];
  while (stack.length > 0 && budget-- > 0) {
    const v = stack.pop();
    if (v === '###') return true;
    if (typeof v !== 'object' || v === null || '_bsontype' in v || v instanceof Date) continue;
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push(x);
  }
  return false;
}
