import type { Document } from 'mongodb';
import { isCredentialCommand } from '../../model/command-name.ts';

/**
 * Commands whose whole conversation is a credential exchange: neither the request nor
 * its reply is recorded (auth spec: SCRAM/X.509/PLAIN go through saslStart/
 * saslContinue; MONGODB-CR used getnonce + authenticate; copydb had its own).
 */
export const AUTH_COMMANDS: ReadonlySet<string> = new Set(
  ['saslStart', 'saslContinue', 'authenticate', 'getnonce', 'copydbSaslStart', 'copydbgetnonce'].map((c) => c.toLowerCase()),
);

/** Also createUser/updateUser and kin: never replayable from any source, so the proxy never records them. */
export function isAuthCommand(cmd: string): boolean {
  return AUTH_COMMANDS.has(cmd.toLowerCase()) || isCredentialCommand(cmd);
}

/** hello/isMaster, including the legacy spelling some drivers send over OP_QUERY. */
export function isHello(cmd: string): boolean {
  const c = cmd.toLowerCase();
  return c === 'hello' || c === 'ismaster';
}

const USER_COMMANDS: ReadonlySet<string> = new Set(['createuser', 'updateuser']);
export const REDACTED = '<redacted>';

/**
 * Removes what carries a secret from a command that is otherwise recorded: the
 * first SASL step that drivers piggyback on hello (`speculativeAuthenticate`) and a
 * user's password. Mutates the freshly decoded document in place (it is ours).
 */
export function stripCredentials(cmd: string, command: Document): void {
  if ('speculativeAuthenticate' in command) delete command.speculativeAuthenticate;
  if (masksPassword(cmd) && 'pwd' in command) command.pwd = REDACTED;
}

/** createUser/updateUser: their `pwd` is recorded masked. */
export function masksPassword(cmd: string): boolean {
  return USER_COMMANDS.has(cmd.toLowerCase());
}

/** The server's answer to speculativeAuthenticate carries the SASL payload: strip it. */
export function stripReplyCredentials(reply: Document): void {
  if ('speculativeAuthenticate' in reply) delete reply.speculativeAuthenticate;
}
