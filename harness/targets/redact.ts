import ConnectionString from 'mongodb-connection-string-url';

/**
 * Removes user, password and secret options from a connection string. Any input
 * is accepted: what does not parse is reduced to its scheme, so a malformed
 * string with a password in it is never echoed back.
 */
export function redactUri(uri: string): string {
  try {
    return new ConnectionString(uri).redact().toString();
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri)?.[0];
    return scheme ? `${scheme}<unparseable>` : '<unparseable connection string>';
  }
}
