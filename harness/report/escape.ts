/**
 * Escaping for every markup the report writes, in one place. Characters become
 * numeric references (`&#60;`) rather than named ones, so the same text is valid in
 * HTML, in inline SVG and in XML alike.
 */

/** HTML and SVG text or attribute value (either quote): `& < > " '` escaped. */
export function escXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * XML 1.0 attribute value (JUnit). Newline, carriage return and tab are escaped as
 * well: a parser normalises them to spaces in an attribute unless they are references.
 */
export function xmlAttr(text: string): string {
  return xmlChars(text).replace(/[&<>"\n\r\t]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** XML 1.0 element text (JUnit). */
export function xmlText(text: string): string {
  return xmlChars(text).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** XML 1.0 forbids most control characters even as references: they become U+FFFD. */
function xmlChars(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}
