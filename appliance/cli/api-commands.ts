import { existsSync, readFileSync } from 'node:fs';
import type { HttpsTarget } from '../api/index.ts';
import type { DataDirLayout } from '../data-dir/index.ts';
import { describeError, isAllianceError } from '../errors/index.ts';
import { ApiClient, clientErrors, segment, type ApiAuth } from './api-client.ts';
import { readPassword } from './read-password.ts';
import {
  credentialsPath,
  DEFAULT_API_URL,
  isLocalUrl,
  normaliseApiUrl,
  normaliseFingerprint,
  readCredentials,
  removeCredentials,
  sessionState,
  writeCredentials,
  type Credentials,
} from './credentials.ts';
import { cliErrors } from './errors.ts';
import { formatFields, formatTable } from './format-table.ts';
import { runHostCommand } from './host-commands.ts';
import { runInstanceCommand } from './instance-commands.ts';
import type { CommandLine } from './parse-command-line.ts';

export interface ApiCommandIo {
  readonly layout: DataDirLayout;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly readSecret?: ((prompt: string) => Promise<string>) | undefined;
  /** Reads all of stdin (for `--password-file -`); without it, fd 0 is read directly. */
  readonly readStdin?: (() => Promise<string>) | undefined;
  /** The clock that decides when a token needs refreshing (tests pass their own). */
  readonly now?: (() => Date) | undefined;
}

/** What the controller answers to login and refresh (the fields the CLI uses). */
interface SessionAnswer {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: string;
  readonly refreshExpiresAt: string;
  readonly user: string;
  readonly scope: string;
  readonly project: { readonly id: string; readonly name: string } | null;
  readonly roles: readonly string[];
  readonly projects: readonly { readonly name: string; readonly role: string }[];
}

interface ProjectView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly role?: string | null;
}

interface MemberView {
  readonly user: string;
  readonly role: string;
  readonly since: string;
}

interface UserView {
  readonly id: string;
  readonly name: string;
  readonly disabled: boolean;
  readonly cloudAdmin: boolean;
  readonly createdAt: string;
  readonly bindings?: readonly { readonly scope: string; readonly project: string | null; readonly role: string; readonly since: string }[];
}

/** login, logout, projects, users, hosts, join-tokens: clients of the controller REST API. */
export async function runApiCommand(cmd: CommandLine, io: ApiCommandIo): Promise<number> {
  switch (cmd.command) {
    case 'login':
      return login(cmd, io);
    case 'logout':
      return logout(cmd, io);
    case 'projects':
      return projects(cmd, connectApi(cmd, io), io);
    case 'users':
      return users(cmd, connectApi(cmd, io), io);
    case 'hosts':
    case 'join-tokens':
      return runHostCommand(cmd, connectApi(cmd, io), io);
    case 'instances': {
      // The kept login's project counts only for the server it was made with.
      const { client, session } = connectApiSession(cmd, io);
      return runInstanceCommand(cmd, client, { out: io.out, readFile: (path) => readFileSync(path, 'utf8'), project: cmd.options.project ?? session?.project ?? undefined });
    }
    default:
      throw cliErrors.USAGE({ problem: `\`alliance ${cmd.command}\` is not an API command` });
  }
}

/**
 * The client for the API that --url, $ALLIANCE_URL or the kept login names
 * (https://localhost:8443 by default), authenticated by --token /
 * $ALLIANCE_TOKEN or else by the kept session, refreshed when it expires.
 * @throws AllianceError APL_CLIENT_NOT_LOGGED_IN, APL_CLIENT_FINGERPRINT_REQUIRED, APL_CLIENT_CREDENTIALS_UNREADABLE
 */
export function connectApi(cmd: CommandLine, io: ApiCommandIo): ApiClient {
  return connectApiSession(cmd, io).client;
}

/** connectApi(), and the kept login when it is for the same server. */
function connectApiSession(cmd: CommandLine, io: ApiCommandIo): { client: ApiClient; session: Credentials | undefined } {
  const path = credentialsPath(io.env);
  const kept = readCredentials(path);
  const url = apiUrl(cmd.options.url ?? (io.env.ALLIANCE_URL || undefined) ?? kept?.url ?? DEFAULT_API_URL);
  const session = kept !== undefined && kept.url === url ? kept : undefined;
  const target = { url, ...trustFor(url, { fingerprint: fingerprintOption(io.env.ALLIANCE_FINGERPRINT), session, layout: io.layout }).target };
  const token = cmd.options.token ?? (io.env.ALLIANCE_TOKEN || undefined);
  if (token !== undefined) return { client: new ApiClient(target, { token: async () => token }), session };
  if (session === undefined) throw clientErrors.NOT_LOGGED_IN({ url });
  return { client: new ApiClient(target, sessionAuth(path, session, { target, now: io.now ?? (() => new Date()) })), session };
}

async function login(cmd: CommandLine, io: ApiCommandIo): Promise<number> {
  const user = cmd.options.user;
  if (user === undefined || user === '') throw cliErrors.USAGE({ problem: '`alliance login` needs --user NAME' });
  const url = apiUrl(cmd.args[0] ?? (io.env.ALLIANCE_URL || undefined) ?? DEFAULT_API_URL);
  const trust = trustFor(url, { fingerprint: fingerprintOption(cmd.options.fingerprint ?? (io.env.ALLIANCE_FINGERPRINT || undefined)), session: undefined, layout: io.layout });
  const password = await readPassword(cmd.options.passwordFile, io, { prompt: `Password for ${user} at ${url}: `, confirm: false });
  const client = new ApiClient({ url, ...trust.target });
  const answer = await client.request<SessionAnswer>('POST', '/api/v1/auth/login', { user, password, ...(cmd.options.project ? { project: cmd.options.project } : {}) });
  const path = credentialsPath(io.env);
  writeCredentials(path, {
    version: 1,
    url,
    fingerprint: trust.fingerprint ?? null,
    caFile: trust.caFile ?? null,
    user: answer.user,
    scope: answer.scope,
    project: answer.project?.name ?? null,
    accessToken: answer.accessToken,
    refreshToken: answer.refreshToken,
    expiresAt: answer.expiresAt,
    refreshExpiresAt: answer.refreshExpiresAt,
  });
  const where = answer.scope === '*' ? 'the whole cloud (cloud-admin)' : answer.project ? `project ${answer.project.name} (${answer.roles.join(', ')})` : 'no project';
  const hint =
    answer.scope === '' && answer.projects.length > 0 ? `  to work in a project, log in with --project: ${answer.projects.map((p) => `${p.name} (${p.role})`).join(', ')}\n` : '';
  print(
    io,
    cmd.json,
    { url, user: answer.user, scope: answer.scope, project: answer.project, roles: answer.roles, expiresAt: answer.expiresAt, refreshExpiresAt: answer.refreshExpiresAt, credentials: path },
    `logged in to ${url} as ${answer.user}, for ${where}\n  session until ${answer.refreshExpiresAt}, kept in ${path}\n${hint}`,
  );
  return 0;
}

async function logout(cmd: CommandLine, io: ApiCommandIo): Promise<number> {
  const path = credentialsPath(io.env);
  const kept = readCredentials(path);
  if (kept === undefined) {
    print(io, cmd.json, { loggedOut: false }, 'not logged in; nothing to do\n');
    return 0;
  }
  let problem: string | undefined;
  try {
    if (sessionState(kept, (io.now ?? (() => new Date()))()) !== 'ended') {
      const target = keptTarget(kept, io);
      await new ApiClient(target, { token: async () => kept.accessToken }).request('POST', '/api/v1/auth/logout');
    }
  } catch (err) {
    // An expired access token cannot log out, but the session it belonged to can still be ended with the refresh token.
    problem = isAllianceError(err, 'APL_CTRL_TOKEN_EXPIRED') ? await logoutByRefresh(kept, io) : describeError(err);
  }
  removeCredentials(path);
  if (problem !== undefined) {
    print(io, cmd.json, { loggedOut: true, revoked: false, problem }, `forgot the login to ${kept.url}, but could not revoke it there: ${problem}\n  it stays valid until ${kept.refreshExpiresAt}\n`);
    return 1;
  }
  print(io, cmd.json, { loggedOut: true, revoked: true }, `logged out of ${kept.url}\n`);
  return 0;
}

/** Refreshes (spending the refresh token) and logs out with the new access token; undefined when that worked. */
async function logoutByRefresh(kept: Credentials, io: ApiCommandIo): Promise<string | undefined> {
  try {
    const target = keptTarget(kept, io);
    const fresh = await new ApiClient(target).request<SessionAnswer>('POST', '/api/v1/auth/refresh', { refreshToken: kept.refreshToken });
    await new ApiClient(target, { token: async () => fresh.accessToken }).request('POST', '/api/v1/auth/logout');
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

async function projects(cmd: CommandLine, client: ApiClient, io: ApiCommandIo): Promise<number> {
  const [sub, first, second, third] = cmd.args;
  switch (sub) {
    case 'list': {
      expectArgs(cmd, []);
      const answer = await client.request<{ projects: ProjectView[] }>('GET', '/api/v1/projects');
      print(io, cmd.json, answer, formatTable(['name', 'role', 'id', 'description'], answer.projects.map((p) => [p.name, p.role ?? '', p.id, p.description]), { empty: 'no projects' }));
      return 0;
    }
    case 'create': {
      const [name] = expectArgs(cmd, ['NAME']);
      const made = await client.request<ProjectView>('POST', '/api/v1/projects', { name, ...(cmd.options.description !== undefined ? { description: cmd.options.description } : {}) });
      print(io, cmd.json, made, `created project ${made.name} (${made.id})\n`);
      return 0;
    }
    case 'show': {
      const [ref] = expectArgs(cmd, ['PROJECT']);
      const project = await client.request<ProjectView>('GET', `/api/v1/projects/${segment(ref!)}`);
      const { members } = await client.request<{ members: MemberView[] }>('GET', `/api/v1/projects/${segment(ref!)}/members`);
      print(
        io,
        cmd.json,
        { ...project, members },
        formatFields([
          ['project', project.name],
          ['id', project.id],
          ['description', project.description],
          ['created', shortTime(project.createdAt)],
        ]) + formatMembers(members),
      );
      return 0;
    }
    case 'delete': {
      const [ref] = expectArgs(cmd, ['PROJECT']);
      const answer = await client.request<{ deleted: string }>('DELETE', `/api/v1/projects/${segment(ref!)}`);
      print(io, cmd.json, answer, `deleted project ${ref} (${answer.deleted})\n`);
      return 0;
    }
    case 'members': {
      const [ref] = expectArgs(cmd, ['PROJECT']);
      const answer = await client.request<{ members: MemberView[] }>('GET', `/api/v1/projects/${segment(ref!)}/members`);
      print(io, cmd.json, answer, formatMembers(answer.members));
      return 0;
    }
    case 'grant': {
      const role = third ?? cmd.options.role;
      if (first === undefined || second === undefined || role === undefined) throw cliErrors.USAGE({ problem: '`alliance projects grant` takes PROJECT USER ROLE (or --role ROLE), ROLE being admin, member or reader' });
      if (third !== undefined && cmd.options.role !== undefined && third !== cmd.options.role) throw cliErrors.USAGE({ problem: `two roles given: ${third} and --role ${cmd.options.role}` });
      const member = await client.request<MemberView>('PUT', `/api/v1/projects/${segment(first)}/members/${segment(second)}`, { role });
      print(io, cmd.json, member, `${member.user} is now ${member.role} in project ${first}\n`);
      return 0;
    }
    case 'revoke': {
      const [ref, user] = expectArgs(cmd, ['PROJECT', 'USER']);
      const answer = await client.request<{ removed: string; revokedTokens: number }>('DELETE', `/api/v1/projects/${segment(ref!)}/members/${segment(user!)}`);
      print(io, cmd.json, answer, `${answer.removed} has no role in project ${ref} any more (${answer.revokedTokens} token(s) revoked)\n`);
      return 0;
    }
    default:
      throw cliErrors.USAGE({ problem: `Unknown projects subcommand "${sub ?? ''}"; use list, create, show, delete, members, grant or revoke` });
  }
}

async function users(cmd: CommandLine, client: ApiClient, io: ApiCommandIo): Promise<number> {
  const sub = cmd.args[0];
  switch (sub) {
    case 'list': {
      expectArgs(cmd, []);
      const answer = await client.request<{ users: UserView[] }>('GET', '/api/v1/users');
      print(
        io,
        cmd.json,
        answer,
        formatTable(['name', 'cloud-admin', 'created', 'id'], answer.users.map((u) => [u.name, u.cloudAdmin ? 'yes' : '', shortTime(u.createdAt), u.id]), { empty: 'no users' }),
      );
      return 0;
    }
    case 'create': {
      const [name] = expectArgs(cmd, ['NAME']);
      const password = await readPassword(cmd.options.passwordFile, io, { prompt: `Password for the new user ${name}: `, confirm: true });
      const body = { name, password, ...(cmd.options.role ? { role: cmd.options.role } : {}), ...(cmd.options.project ? { project: cmd.options.project } : {}) };
      const made = await client.request<UserView>('POST', '/api/v1/users', body);
      const roles = (made.bindings ?? []).map((b) => (b.scope === '*' ? b.role : `${b.role} in ${b.project ?? b.scope}`));
      print(io, cmd.json, made, `created user ${made.name}${roles.length > 0 ? `, ${roles.join(', ')}` : ''}\n`);
      return 0;
    }
    case 'show': {
      const [name] = expectArgs(cmd, ['USER']);
      const user = await client.request<UserView>('GET', `/api/v1/users/${segment(name!)}`);
      print(
        io,
        cmd.json,
        user,
        formatFields([
          ['user', user.name],
          ['id', user.id],
          ['cloud-admin', user.cloudAdmin ? 'yes' : 'no'],
          ['disabled', user.disabled ? 'yes' : 'no'],
          ['created', shortTime(user.createdAt)],
        ]) + formatTable(['project', 'role', 'since'], (user.bindings ?? []).map((b) => [b.scope === '*' ? '*' : (b.project ?? b.scope), b.role, shortTime(b.since)]), { empty: 'no roles' }),
      );
      return 0;
    }
    case 'delete': {
      const [name] = expectArgs(cmd, ['USER']);
      const answer = await client.request<{ deleted: string }>('DELETE', `/api/v1/users/${segment(name!)}`);
      print(io, cmd.json, answer, `deleted user ${answer.deleted}\n`);
      return 0;
    }
    case 'password': {
      if (cmd.args.length > 2) throw cliErrors.USAGE({ problem: '`alliance users password` takes at most USER' });
      const name = cmd.args[1];
      if (name === undefined) {
        // One's own password: the current one proves it is still you.
        const current = await readPassword(undefined, io, { prompt: 'Current password: ', confirm: false });
        const next = await readPassword(cmd.options.passwordFile, io, { prompt: 'New password: ', confirm: true });
        const answer = await client.request<{ revokedSessions: number }>('POST', '/api/v1/auth/password', { current, new: next });
        print(io, cmd.json, answer, `password changed; ${answer.revokedSessions} other session token(s) revoked\n`);
        return 0;
      }
      const password = await readPassword(cmd.options.passwordFile, io, { prompt: `New password for ${name}: `, confirm: true });
      const answer = await client.request<{ revokedSessions: number }>('POST', `/api/v1/users/${segment(name)}/password`, { password });
      print(io, cmd.json, answer, `password of ${name} set; ${answer.revokedSessions} session token(s) revoked\n`);
      return 0;
    }
    default:
      throw cliErrors.USAGE({ problem: `Unknown users subcommand "${sub ?? ''}"; use list, create, show, delete or password` });
  }
}

/** A kept session as an ApiAuth: refreshed ahead of expiry, and again if the server says it expired; every refresh is written back. */
function sessionAuth(path: string, session: Credentials, options: { target: HttpsTarget; now: () => Date }): ApiAuth {
  let current = session;
  const renew = async (): Promise<string> => {
    if (sessionState(current, options.now()) === 'ended') throw clientErrors.SESSION_EXPIRED({ url: current.url, reason: `it expired at ${current.refreshExpiresAt}` });
    let answer: SessionAnswer;
    try {
      answer = await new ApiClient(options.target).request<SessionAnswer>('POST', '/api/v1/auth/refresh', { refreshToken: current.refreshToken });
    } catch (err) {
      if (isAllianceError(err) && err.status === 401) throw clientErrors.SESSION_EXPIRED({ url: current.url, reason: err.message }, { cause: err });
      throw err;
    }
    current = { ...current, accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: answer.expiresAt, refreshExpiresAt: answer.refreshExpiresAt, scope: answer.scope };
    writeCredentials(path, current);
    return current.accessToken;
  };
  return {
    token: async () => (sessionState(current, options.now()) === 'fresh' ? current.accessToken : renew()),
    renew,
  };
}

/**
 * How to trust the server at url: a fingerprint given now, else what the
 * kept session used, else, for this machine, the data directory's own
 * certificate. Never on first use without being told.
 */
function trustFor(
  url: string,
  options: { fingerprint: string | undefined; session: Credentials | undefined; layout: DataDirLayout },
): { target: Pick<HttpsTarget, 'ca' | 'fingerprint'>; fingerprint?: string; caFile?: string } {
  if (options.fingerprint !== undefined) return { target: { fingerprint: options.fingerprint }, fingerprint: options.fingerprint };
  if (options.session?.fingerprint) return { target: { fingerprint: options.session.fingerprint }, fingerprint: options.session.fingerprint };
  const caFile = options.session?.caFile ?? (isLocalUrl(url) && existsSync(options.layout.tlsCert) ? options.layout.tlsCert : undefined);
  if (caFile !== undefined) {
    try {
      return { target: { ca: readFileSync(caFile) }, caFile };
    } catch (err) {
      throw clientErrors.CREDENTIALS_UNREADABLE({ path: caFile, reason: `the trusted certificate cannot be read (${describeError(err)})` }, { cause: err });
    }
  }
  throw clientErrors.FINGERPRINT_REQUIRED({ url });
}

/** The server of a kept session, trusted as that session was. */
function keptTarget(kept: Credentials, io: ApiCommandIo): HttpsTarget {
  return { url: kept.url, ...trustFor(kept.url, { fingerprint: undefined, session: kept, layout: io.layout }).target };
}

function apiUrl(text: string): string {
  try {
    return normaliseApiUrl(text);
  } catch (err) {
    throw cliErrors.USAGE({ problem: `${text} is not an https:// URL (${describeError(err)})` });
  }
}

function fingerprintOption(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const fingerprint = normaliseFingerprint(text);
  if (fingerprint === undefined) throw cliErrors.USAGE({ problem: `--fingerprint ${text} is not a SHA-256 fingerprint (32 hex pairs, e.g. AB:CD:...)` });
  return fingerprint;
}

/** The arguments after the subcommand, exactly as many as named. */
function expectArgs(cmd: CommandLine, names: readonly string[]): (string | undefined)[] {
  const rest = cmd.args.slice(1);
  if (rest.length !== names.length) {
    const usage = [cmd.command, cmd.args[0], ...names].join(' ');
    throw cliErrors.USAGE({ problem: `\`alliance ${usage}\` takes ${names.length === 0 ? 'no arguments' : names.join(' ')}, got ${rest.length} argument(s)` });
  }
  return rest;
}

function print(io: ApiCommandIo, json: boolean, data: unknown, text: string): void {
  io.out(json ? `${JSON.stringify(data, null, 2)}\n` : text);
}

function formatMembers(members: readonly MemberView[]): string {
  return formatTable(['user', 'role', 'since'], members.map((m) => [m.user, m.role, shortTime(m.since)]), { empty: 'no members' });
}

function shortTime(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}
