import { HOST_STATES, type Host } from '../contracts/index.ts';
import { shortNodeId } from '../identity/index.ts';
import { cliErrors } from './errors.ts';
import { formatHost, formatHostList, formatJoinTokenCreated, formatJoinTokenList, formatMachineList, hostStateText, type JoinTokenView, type MachineView } from './format-hosts.ts';
import type { CommandLine } from './parse-command-line.ts';

/** What the host commands need of an API client (ApiClient is one). */
export interface HostsApi {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface HostCommandIo {
  readonly out: (text: string) => void;
  /** Print API data as JSON; defaults to the command line's --json. */
  readonly json?: boolean | undefined;
  readonly now?: (() => Date) | undefined;
}

/** Host ids given by prefix need at least this many characters. */
export const MIN_HOST_PREFIX = 6;
const FULL_ID = /^[a-z2-7]{52}$/;

/**
 * `alliance hosts list [--state S] | show ID | machines | approve ID | reject ID | retire ID`
 * and `alliance join-tokens create [--uses N] [--ttl SECONDS] [--description T] | list | revoke ID`.
 * A host id may be a unique prefix of at least 6 characters. Returns the exit code.
 * @throws AllianceError APL_CLI_USAGE, or the controller's coded error
 */
export async function runHostCommand(cmd: CommandLine, client: HostsApi, io: HostCommandIo): Promise<number> {
  const json = io.json ?? cmd.json;
  const now = io.now ?? (() => new Date());
  const print = (data: unknown, text: string): void => io.out(json ? `${JSON.stringify(data, null, 2)}\n` : text);
  const [sub, ...rest] = cmd.args;

  if (cmd.command === 'hosts') {
    switch (sub) {
      case 'list': {
        args(cmd, rest, []);
        const state = cmd.options.state;
        if (state !== undefined && !(HOST_STATES as readonly string[]).includes(state)) {
          throw cliErrors.USAGE({ problem: `--state must be one of ${HOST_STATES.join(', ')}, not "${state}"` });
        }
        const answer = await client.request<{ hosts: Host[] }>('GET', `/api/v1/hosts${state === undefined ? '' : `?state=${state}`}`);
        print(answer, formatHostList(answer.hosts, now()));
        return 0;
      }
      case 'show': {
        const [ref] = args(cmd, rest, ['ID']);
        const answer = await client.request<{ host: Host }>('GET', `/api/v1/hosts/${await resolveHostId(client, ref!)}`);
        print(answer, formatHost(answer.host, now()));
        return 0;
      }
      case 'approve':
      case 'reject':
      case 'retire': {
        const [ref] = args(cmd, rest, ['ID']);
        const answer = await client.request<{ host: Host }>('POST', `/api/v1/hosts/${await resolveHostId(client, ref!)}/${sub}`);
        print(answer, `${shortNodeId(answer.host.id)} (${answer.host.name}): ${hostStateText(answer.host)}\n`);
        return 0;
      }
      case 'machines': {
        args(cmd, rest, []);
        const answer = await client.request<{ machines: MachineView[] }>('GET', '/api/v1/machines');
        print(answer, formatMachineList(answer.machines, now()));
        return 0;
      }
      default:
        throw cliErrors.USAGE({ problem: `\`alliance hosts\` takes list, show, machines, approve, reject or retire${sub === undefined ? '' : `, not "${sub}"`}` });
    }
  }

  switch (sub) {
    case 'create': {
      args(cmd, rest, []);
      const body = {
        ...(cmd.options.uses === undefined ? {} : { uses: count('--uses', cmd.options.uses) }),
        ...(cmd.options.ttl === undefined ? {} : { ttlSeconds: count('--ttl', cmd.options.ttl) }),
        ...(cmd.options.description === undefined ? {} : { description: cmd.options.description }),
      };
      const answer = await client.request<{ joinToken: JoinTokenView; code: string }>('POST', '/api/v1/join-tokens', body);
      print(answer, formatJoinTokenCreated(answer, now()));
      return 0;
    }
    case 'list': {
      args(cmd, rest, []);
      const answer = await client.request<{ joinTokens: JoinTokenView[] }>('GET', '/api/v1/join-tokens');
      print(answer, formatJoinTokenList(answer.joinTokens, now()));
      return 0;
    }
    case 'revoke': {
      const [id] = args(cmd, rest, ['ID']);
      if (!/^[a-z0-9]{1,64}$/.test(id!)) throw cliErrors.USAGE({ problem: `"${id}" is not a join token id (see \`alliance join-tokens list\`)` });
      const answer = await client.request<{ joinToken: JoinTokenView }>('DELETE', `/api/v1/join-tokens/${id}`);
      print(answer, `join token ${answer.joinToken.id}: ${answer.joinToken.state}\n`);
      return 0;
    }
    default:
      throw cliErrors.USAGE({ problem: `\`alliance join-tokens\` takes create, list or revoke${sub === undefined ? '' : `, not "${sub}"`}` });
  }
}

/**
 * A full host id from a full id or a unique prefix (at least MIN_HOST_PREFIX
 * characters), resolved against the controller's list.
 * @throws AllianceError APL_CLI_USAGE when the prefix is short, matches nothing, or matches several hosts
 */
export async function resolveHostId(client: HostsApi, ref: string): Promise<string> {
  const prefix = ref.trim().toLowerCase();
  if (FULL_ID.test(prefix)) return prefix;
  if (!/^[a-z2-7]+$/.test(prefix)) throw cliErrors.USAGE({ problem: `"${ref}" is not a host id (lower-case base32; see \`alliance hosts list\`)` });
  if (prefix.length < MIN_HOST_PREFIX) throw cliErrors.USAGE({ problem: `Host id "${ref}" is too short: give at least ${MIN_HOST_PREFIX} characters` });
  const { hosts } = await client.request<{ hosts: Host[] }>('GET', '/api/v1/hosts');
  const matches = hosts.filter((h) => h.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw cliErrors.USAGE({ problem: `No host id starts with "${ref}"; \`alliance hosts list\` shows them` });
  throw cliErrors.USAGE({
    problem: `Host id "${ref}" matches ${matches.length} hosts (${matches.map((h) => `${shortNodeId(h.id)} ${h.name}`).join(', ')}); give more characters`,
  });
}

function args(cmd: CommandLine, given: readonly string[], names: readonly string[]): string[] {
  if (given.length !== names.length) {
    const usage = [cmd.command, cmd.args[0], ...names].filter(Boolean).join(' ');
    throw cliErrors.USAGE({ problem: `\`alliance ${usage}\` takes ${names.length === 0 ? 'no more arguments' : names.join(' ')}` });
  }
  return [...given];
}

function count(option: string, value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw cliErrors.USAGE({ problem: `${option} needs a whole number above 0, not "${value}"` });
  return Number(value);
}
