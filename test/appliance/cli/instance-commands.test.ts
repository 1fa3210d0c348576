// `alliance instances ...` against a canned API client: which request each
// verb makes, what it prints, and what it refuses before asking anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostsApi } from '../../../appliance/cli/host-commands.ts';
import { runInstanceCommand, type InstanceView } from '../../../appliance/cli/instance-commands.ts';
import { parseCommandLine } from '../../../appliance/cli/parse-command-line.ts';
import { rejection } from '../../_support/refusal.ts';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const instance: InstanceView = {
  id: '5d0c7a52-35d6-4a49-9a3c-1a2b3c4d5e6f', name: 'web-1', flavorId: 'm1.small', imageId: '4a35dbc9-1c8f-42e7-85d3-ba0cf4a1995b', hostId: 'abcdefghijklmnop',
  power: 'running', state: 'running', observedState: 'running', error: null, keyName: 'me', createdAt: '2026-11-22T11:00:00.000Z', updatedAt: '2026-11-22T11:58:00.000Z',
};

function canned(answer: unknown): { client: HostsApi; asked: string[]; bodies: unknown[] } {
  const asked: string[] = [];
  const bodies: unknown[] = [];
  return {
    asked,
    bodies,
    client: {
      request: async <T>(method: string, path: string, body?: unknown) => {
        asked.push(`${method} ${path}`);
        bodies.push(body);
        return answer as T;
      },
    },
  };
}

async function run(argv: string[], answer: unknown, project: string | undefined = 'lab', files: Record<string, string> = {}) {
  const c = canned(answer);
  let out = '';
  const code = await runInstanceCommand(parseCommandLine(['instances', ...argv], {}), c.client, { out: (t) => (out += t), readFile: (p) => files[p] ?? '', project, now: () => NOW });
  return { code, out, asked: c.asked, bodies: c.bodies };
}

const requests: Record<string, [string[], unknown, string]> = {
  list: [['list'], { instances: [instance] }, 'GET /api/v1/projects/lab/instances'],
  show: [['show', 'web-1'], { instance, events: [] }, 'GET /api/v1/projects/lab/instances/web-1'],
  start: [['start', 'web-1'], instance, 'POST /api/v1/projects/lab/instances/web-1/start'],
  stop: [['stop', 'web-1'], instance, 'POST /api/v1/projects/lab/instances/web-1/stop'],
  reboot: [['reboot', 'web-1'], instance, 'POST /api/v1/projects/lab/instances/web-1/reboot'],
  delete: [['delete', instance.id], { ...instance, state: 'deleting' }, `DELETE /api/v1/projects/lab/instances/${instance.id}`],
  'console-log': [['console-log', 'web-1'], { consoleTail: 'login:', observedAt: null }, 'GET /api/v1/projects/lab/instances/web-1/console-log'],
  why: [['why', 'web-1'], { explanation: 'placed on h1' }, 'GET /api/v1/projects/lab/instances/web-1/why'],
};
for (const [verb, [argv, answer, request]] of Object.entries(requests)) {
  test(`runInstanceCommand() ${verb} asks ${request}`, async () => {
    const r = await run(argv, answer);
    assert.is(r.code, 0);
    assert.equal(r.asked, [request]);
  });
}

test('runInstanceCommand() list prints a table with state, wanted power and age', async () => {
  const { out } = await run(['list'], { instances: [instance, { ...instance, name: 'db-1', state: 'error', error: 'no host can take it', hostId: null }] });
  const lines = out.trimEnd().split('\n');
  assert.match(lines[1]!, /^web-1\s+5d0c7a52\s+running\s+running\s+abcdefghijkl\s+m1\.small\s+2m ago$/);
  assert.match(lines[2]!, /^db-1\s+5d0c7a52\s+error \(no host can take it\)\s+running\s+-\s+/);
});

test('runInstanceCommand() create sends the name, flavor, image, key pair and the user data file', async () => {
  const r = await run(['create', 'web-1', '--flavor', 'm1.small', '--image', instance.imageId, '--key-name', 'me', '--user-data-file', 'ud'], instance, 'lab', { ud: '#cloud-config\n' });
  assert.equal(r.asked, ['POST /api/v1/projects/lab/instances']);
  assert.equal(r.bodies[0], { name: 'web-1', flavor: 'm1.small', image: instance.imageId, keyName: 'me', userData: '#cloud-config\n' });
  assert.match(r.out, /^created instance web-1 \(5d0c7a52-[0-9a-f-]+\): running on host abcdefghijklmnop\n$/);
});

const refusals: Record<string, [string[], string | undefined, RegExp]> = {
  'no project': [['list'], undefined, /Which project\? Give --project P/],
  'an unknown verb': [['migrate', 'x'], 'lab', /takes list, show, create, .* not "migrate"/],
  'show without an instance': [['show'], 'lab', /takes an instance id or name/],
  'create without a flavor': [['create', 'web-1', '--image', instance.imageId], 'lab', /needs --flavor F and --image ID/],
};
for (const [name, [argv, project, message]] of Object.entries(refusals)) {
  test(`runInstanceCommand() refuses ${name} before asking the controller`, async () => {
    const c = canned({});
    const err = await rejection(runInstanceCommand(parseCommandLine(['instances', ...argv], {}), c.client, { out: () => undefined, readFile: () => '', project }));
    assert.is(err.code, 'APL_CLI_USAGE');
    assert.match(err.message, message);
    assert.equal(c.asked, []);
  });
}

test.run();
