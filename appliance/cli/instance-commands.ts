import { shortNodeId } from '../identity/index.ts';
import { cliErrors } from './errors.ts';
import { formatAgo } from './format-hosts.ts';
import { formatFields, formatTable } from './format-table.ts';
import type { HostsApi } from './host-commands.ts';
import type { CommandLine } from './parse-command-line.ts';
import { segment } from './api-client.ts';

/** An instance as the controller's compute API shows it (the fields the CLI prints). */
export interface InstanceView {
  readonly id: string;
  readonly name: string;
  readonly flavorId: string;
  readonly imageId: string;
  readonly hostId: string | null;
  readonly power: string;
  readonly state: string;
  readonly observedState: string | null;
  readonly error: string | null;
  readonly keyName: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface InstanceCommandIo {
  readonly out: (text: string) => void;
  readonly readFile: (path: string) => string;
  /** --project, else the project of the kept login. */
  readonly project: string | undefined;
  readonly now?: () => Date;
}

const VERBS = ['list', 'show', 'create', 'start', 'stop', 'reboot', 'delete', 'console-log', 'why'] as const;

/**
 * `alliance instances list | show I | create NAME --flavor F --image ID [--key-name K]
 * [--user-data-file F] | start I | stop I | reboot I | delete I | console-log I | why I`,
 * in the project of --project or of the login. I is an instance id or name.
 * @throws AllianceError APL_CLI_USAGE, or the controller's coded error
 */
export async function runInstanceCommand(cmd: CommandLine, client: HostsApi, io: InstanceCommandIo): Promise<number> {
  const [verb, ref] = cmd.args;
  if (!(VERBS as readonly string[]).includes(verb ?? '')) {
    throw cliErrors.USAGE({ problem: `\`alliance instances\` takes ${VERBS.join(', ')}${verb === undefined ? '' : `, not "${verb}"`}` });
  }
  if (io.project === undefined) throw cliErrors.USAGE({ problem: 'Which project? Give --project P, or log in with `alliance login --project P`' });
  const base = `/api/v1/projects/${segment(io.project)}/instances`;
  const now = io.now ?? (() => new Date());
  const print = (data: unknown, text: string): void => io.out(cmd.json ? `${JSON.stringify(data, null, 2)}\n` : text);
  if (verb === 'list' && ref !== undefined) throw cliErrors.USAGE({ problem: '`alliance instances list` takes no more arguments' });
  if (verb !== 'list' && verb !== 'create' && ref === undefined) throw cliErrors.USAGE({ problem: `\`alliance instances ${verb}\` takes an instance id or name` });
  // The one instance the verb is about (not used by list and create).
  const one = `${base}/${segment(ref ?? '')}`;

  switch (verb) {
    case 'list': {
      const answer = await client.request<{ instances: InstanceView[] }>('GET', base);
      print(answer, formatInstanceList(answer.instances, now()));
      return 0;
    }
    case 'show': {
      const answer = await client.request<{ instance: InstanceView; events: { at: string; kind: string; message: string }[] }>('GET', one);
      const i = answer.instance;
      const fields = formatFields([
        ['instance', `${i.name} (${i.id})`],
        ['state', stateText(i)],
        ['wanted', i.power],
        ['host', i.hostId ?? '-'],
        ['flavor', i.flavorId],
        ['image', i.imageId],
        ['key pair', i.keyName ?? '-'],
        ['created', i.createdAt],
      ]);
      const events = answer.events.map((e) => `  ${e.at}  ${e.kind}: ${e.message}`).join('\n');
      print(answer, `${fields}${events === '' ? '' : `events:\n${events}\n`}`);
      return 0;
    }
    case 'create': {
      if (ref === undefined) throw cliErrors.USAGE({ problem: '`alliance instances create` takes the new instance name' });
      const { flavor, image, keyName, userDataFile } = cmd.options;
      if (flavor === undefined || image === undefined) throw cliErrors.USAGE({ problem: '`alliance instances create NAME` needs --flavor F and --image ID' });
      const body = {
        name: ref,
        flavor,
        image,
        ...(keyName === undefined ? {} : { keyName }),
        ...(userDataFile === undefined ? {} : { userData: io.readFile(userDataFile) }),
      };
      const made = await client.request<InstanceView>('POST', base, body);
      print(made, `created instance ${made.name} (${made.id}): ${stateText(made)}${made.hostId === null ? '' : ` on host ${made.hostId}`}\n`);
      return 0;
    }
    case 'start':
    case 'stop':
    case 'reboot': {
      const changed = await client.request<InstanceView>('POST', `${one}/${verb}`);
      print(changed, `${changed.name}: wanted ${changed.power}, ${stateText(changed)}\n`);
      return 0;
    }
    case 'delete': {
      const gone = await client.request<InstanceView>('DELETE', one);
      print(gone, `${gone.name}: ${gone.state === 'deleting' ? 'deleting (its host removes it)' : 'deleted'}\n`);
      return 0;
    }
    case 'console-log': {
      const answer = await client.request<{ consoleTail: string | null; observedAt: string | null }>('GET', `${one}/console-log`);
      print(answer, answer.consoleTail ?? '(no console output reported yet)\n');
      return 0;
    }
    default: {
      const answer = await client.request<{ explanation: string }>('GET', `${one}/why`);
      print(answer, answer.explanation.endsWith('\n') ? answer.explanation : `${answer.explanation}\n`);
      return 0;
    }
  }
}

/** `alliance instances list`. */
export function formatInstanceList(instances: readonly InstanceView[], now: Date): string {
  return formatTable(
    ['name', 'id', 'state', 'wanted', 'host', 'flavor', 'changed'],
    instances.map((i) => [i.name, i.id.slice(0, 8), stateText(i), i.power, i.hostId === null ? '-' : shortNodeId(i.hostId), i.flavorId, formatAgo(i.updatedAt, now)]),
    { empty: 'no instances' },
  );
}

function stateText(i: Pick<InstanceView, 'state' | 'error'>): string {
  return i.error === null || i.error === '' ? i.state : `${i.state} (${i.error})`;
}
