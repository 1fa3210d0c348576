import { defineErrors } from '../../appliance/errors/index.ts';

// The controller's catalogue: one defineErrors('CTRL', ...) object. Features
// (hosts, enrolment) append their entries here; every code has a row in
// docs/errors.md under "CTRL:".
export const controllerErrors = defineErrors('CTRL', {
  TOKEN_REQUIRED: { status: 401, exit: 1, message: 'Authentication required: send "Authorization: Bearer <token>" (get one with `alliance login`, or use an API key)' },
  TOKEN_INVALID: { status: 401, exit: 1, message: 'The bearer token is not a valid Alliance token; log in again with `alliance login`' },
  TOKEN_EXPIRED: { status: 401, exit: 1, message: 'The bearer token expired at {expiresAt}; refresh it or log in again' },
  TOKEN_REVOKED: { status: 401, exit: 1, message: 'The bearer token was revoked (logout, a password change, a refresh, or its access was withdrawn); log in again' },
  FORBIDDEN: { status: 403, exit: 1, message: 'Not allowed: {route} needs {need}; this token has {have}' },
  LOGIN_FAILED: { status: 401, exit: 1, message: 'Login failed: unknown user or wrong password' },
  LOGIN_RATE_LIMITED: { status: 429, exit: 1, message: 'Too many failed attempts for this user or address; try again in {retryAfter} s' },
  REFRESH_FAILED: { status: 401, exit: 1, message: 'The refresh token is not valid (unknown, expired or revoked); log in again' },
  REFRESH_REUSED: { status: 401, exit: 1, message: 'This refresh token was already used, so the session may be stolen: every token of the session is now revoked; log in again' },
  NOT_A_MEMBER: { status: 403, exit: 1, message: 'User {user} has no role in project {project}; ask a project admin to grant one, or log in without a project' },
  SESSION_ONLY: { status: 403, exit: 1, message: '{what} needs a login session, not an API key; log in with `alliance login`' },
  WRONG_PASSWORD: { status: 403, exit: 1, message: 'The current password is wrong; the password was not changed' },
  WEAK_PASSWORD: { status: 400, exit: 1, message: 'The password is too short: it has {length} characters, at least {minimum} are needed' },
  PROJECT_NOT_FOUND: { status: 404, exit: 1, message: 'No project {project}; `alliance projects list` shows those you can see' },
  PROJECT_EXISTS: { status: 409, exit: 1, message: 'A project named {project} already exists; choose another name' },
  USER_NOT_FOUND: { status: 404, exit: 1, message: 'No user {user}; `alliance users list` shows them' },
  USER_NAME_INVALID: { status: 400, exit: 2, message: 'Invalid user name "{name}": use 1 to 64 lower-case letters, digits and . _ @ -, starting with a letter or digit' },
  USER_EXISTS: { status: 409, exit: 1, message: 'A user named {user} already exists; choose another name' },
  MEMBER_NOT_FOUND: { status: 404, exit: 1, message: 'User {user} has no role in project {project}; nothing to revoke' },
  API_KEY_NOT_FOUND: { status: 404, exit: 1, message: 'No API key {key} in project {project} that this token may manage' },
  ROLE_TOO_HIGH: { status: 403, exit: 1, message: 'Cannot give role {role}: it is above the caller\'s own role {own} in this project' },
  ROLE_INVALID: { status: 400, exit: 1, message: 'Invalid role combination: {problem}' },
  LAST_ADMIN: { status: 409, exit: 1, message: 'Refused: this would leave {what} without an admin; grant the role to someone else first' },
  ADMIN_EXISTS: {
    status: 409,
    exit: 1,
    message: 'Cannot create a first cloud admin: a cloud admin exists already ({count} in all); log in as one and use `alliance users` to manage users',
  },
  EXPIRY_INVALID: { status: 400, exit: 1, message: 'Cannot use expiry {expiresAt}: {problem}' },
});
