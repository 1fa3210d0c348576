// What a user name and a password may be. The controller enforces these; the
// installer and the console check them first with the same rules, so an
// answer they accept is one the controller takes.

/** 1 to 64 lower-case letters, digits and . _ @ -, starting with a letter or digit. */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const USER_NAME_RULE = '1 to 64 of a-z, 0-9 and . _ @ -, starting with a letter or digit';

/** Length is the rule: a long passphrase beats composition rules. Counted in characters, not bytes. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** Why the controller would refuse this password; undefined when it would take it. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `is shorter than ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `is longer than ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}
