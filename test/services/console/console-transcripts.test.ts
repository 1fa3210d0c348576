import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApplianceStatus } from '../../../appliance/serve/index.ts';
import { initialModel, type ConsoleModel, type EventView, type OverviewView } from '../../../services/console/console-model.ts';
import { update, type ConsoleMessage } from '../../../services/console/console-update.ts';
import type { Key } from '../../../services/console/key-input.ts';
import { renderConsole } from '../../../services/console/render-console.ts';
import { frameUpdate } from '../../../services/console/screen-frame.ts';
import { ASCII_GLYPHS, textWidth, UTF8_GLYPHS } from '../../../services/console/screen-text.ts';

// Each testdata/*.txt file drives the console's update() and renderConsole()
// with commands, one per line, then `----`, then what they printed: the
// effects each step asked for and the screens asked for with `screen`.
// UPDATE=1 rewrites everything after `----`; review the diff like code.
//
// Commands: size C R | glyphs ascii|utf8 | now ISO | tick +Ns
//   appliance up|connecting|down WHAT [STORE] | controller up [key=n ...] | controller down REASON
//   interface NAME MAC up|down [ADDR ...] | event ID SEVERITY KIND MESSAGE
//   key NAME (a letter, enter, escape, tab, shift-tab, up, down, left, right, backspace, ctrl-c)
//   type TEXT | form-loaded network|system key=value ... | result ok|failed TITLE | TEXT
//   network-applied ok|failed DETAIL | join-code CODE EXPIRES | screen

const DIR = join(import.meta.dirname, 'testdata');

const STATUS: ApplianceStatus = {
  name: 'gw-lab1',
  nodeId: 'n5x2kq7c4vbm3d9e8f6g1h0j2a7s5d3fpl6o',
  health: 'ok',
  build: { version: '0.1.0', commit: 'abcdef123456', builtAt: '2026-11-20T10:00:00.000Z', node: 'v24.21.0' },
  pid: 4242,
  startedAt: '2026-11-22T08:00:00.000Z',
  uptimeSeconds: 0,
  dataDir: '/var/lib/alliance',
  configFile: null,
  https: {
    listen: '0.0.0.0',
    port: 8443,
    urls: ['https://192.0.2.10:8443/', 'https://[2001:db8::10]:8443/'],
    fingerprint: Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) % 256).toString(16).toUpperCase().padStart(2, '0')).join(':'),
    notAfter: '2027-11-20T10:00:00.000Z',
  },
  bus: { socket: 'ipc:///var/lib/alliance/run/bus.sock', events: 'ipc:///var/lib/alliance/run/events.sock', listen: null, fingerprint: 'AA' },
  store: { path: '/var/lib/alliance/store.db', schemaVersion: 7, events: 12 },
  services: [
    { name: 'api', state: 'running', since: '2026-11-22T08:00:01.000Z', restarts: 0 },
    { name: 'controller', state: 'running', since: '2026-11-22T08:00:01.000Z', restarts: 0 },
    { name: 'boot', state: 'disabled', reason: 'boot.enabled is false', since: '2026-11-22T08:00:01.000Z', restarts: 0 },
  ],
};

const NAMED: Record<string, Key> = {
  enter: { name: 'enter' },
  escape: { name: 'escape' },
  tab: { name: 'tab' },
  'shift-tab': { name: 'tab', shift: true },
  up: { name: 'up' },
  down: { name: 'down' },
  left: { name: 'left' },
  right: { name: 'right' },
  backspace: { name: 'backspace' },
  'ctrl-c': { name: 'char', text: 'c', ctrl: true },
  space: { name: 'char', text: ' ' },
  'ctrl-u': { name: 'char', text: 'u', ctrl: true },
  'ctrl-l': { name: 'char', text: 'l', ctrl: true },
};

function overview(args: readonly string[]): OverviewView {
  const n = Object.fromEntries(args.map((a) => a.split('=')).map(([k, v]) => [k ?? '', Number(v)] as const)) as Record<string, number>;
  const pendingCount = n.pending ?? 0;
  // from=K: the list starts at the K-th host (the ones before it have enrolled or gone).
  const pending = Array.from({ length: Math.min(pendingCount, 20) }, (_, j) => j + (n.from ?? 0)).map((i) => ({
    id: `h${i}xq7c4vbm3d9e8f6g1h0j2a7s5d3f`,
    name: `node-${i + 1}`,
    addresses: [`198.51.100.${i + 20}`],
    since: '2026-11-22T09:50:00.000Z',
    approvedBy: null,
  }));
  return {
    admins: n.admins ?? 1,
    counts: { pending: pendingCount, active: n.active ?? 0, suspect: n.suspect ?? 0, offline: n.offline ?? 0, rejected: n.rejected ?? 0, retired: 0 },
    pending,
    pendingTotal: pendingCount,
    joinCode: n.code === 1 ? { tokenId: 'k3j2h1g0f9d8s7a6', expiresAt: '2026-11-23T10:00:00.000Z', uses: 2, maxUses: 50 } : null,
  };
}

function message(words: string[], rest: string, model: ConsoleModel): ConsoleMessage[] {
  const [verb = '', ...args] = words;
  switch (verb) {
    case 'now':
      return [{ kind: 'tick', now: Date.parse(args[0] ?? '') }];
    case 'tick':
      return [{ kind: 'tick', now: model.now + Number((args[0] ?? '+0s').replace(/[+s]/g, '')) * 1000 }];
    case 'size':
      return [{ kind: 'resize', cols: Number(args[0]), rows: Number(args[1]) }];
    case 'appliance':
      if (args[0] === 'up') return [{ kind: 'appliance', view: { kind: 'up', status: STATUS, at: model.now } }];
      if (args[0] === 'connecting') return [{ kind: 'appliance', view: { kind: 'connecting' } }];
      return [
        {
          kind: 'appliance',
          view: {
            kind: 'down',
            since: model.now,
            down: {
              what: args[1] as 'not-running',
              detail: 'Nothing listens on /var/lib/alliance/run/control.sock.',
              store: args[2] === 'unreadable' ? { kind: 'unreadable', path: '/var/lib/alliance/store.db', detail: 'EIO' } : args[2] === 'missing' ? { kind: 'missing', path: '/var/lib/alliance/store.db' } : { kind: 'ok', path: '/var/lib/alliance/store.db' },
            },
          },
        },
      ];
    case 'controller':
      return [{ kind: 'controller', view: args[0] === 'up' ? { kind: 'up', overview: overview(args.slice(1)) } : { kind: 'down', reason: rest.replace(/^controller down /, '') } }];
    case 'interface': {
      const [name = '', mac = '', state, ...addresses] = args;
      const others = model.interfaces.filter((i) => i.name !== name);
      return [{ kind: 'interfaces', interfaces: [...others, { name, mac, up: state === 'up', addresses }] }];
    }
    case 'event': {
      const [id, severity = '', kind = '', ...text] = args;
      // \e, \a and \x9b in a message stand for ESC, BEL and the 8-bit CSI a hostile name might carry.
      const message = text.join(' ').replace(/\\e/g, '\u001b').replace(/\\a/g, '\u0007').replace(/\\x9b/g, '\u009b');
      const event: EventView = { id: Number(id), at: new Date(model.now).toISOString(), severity, kind, message };
      return [{ kind: 'event', event }];
    }
    case 'key': {
      const name = args[0] ?? '';
      const key = NAMED[name] ?? { name: 'char', text: name };
      return [{ kind: 'key', key }];
    }
    case 'type':
      return [...rest.replace(/^type /, '')].map((text) => ({ kind: 'key', key: { name: 'char', text } }));
    case 'form-loaded':
      return [{ kind: 'form-loaded', form: args[0] as 'network', values: Object.fromEntries(args.slice(1).map((a) => a.split('=') as [string, string])) }];
    case 'result': {
      const [title = '', text = ''] = rest.replace(/^result (ok|failed) /, '').split(' | ');
      return [{ kind: 'result', title, lines: [text], failed: args[0] === 'failed' }];
    }
    case 'network-applied':
      return [{ kind: 'network-applied', ok: args[0] === 'ok', detail: rest.replace(/^network-applied (ok|failed) /, '') }];
    case 'join-code':
      return [{ kind: 'join-code', tokenId: (args[0] ?? '').split('.')[0] ?? '', code: args[0] ?? '', expiresAt: args[1] ?? '' }];
    default:
      throw new Error(`unknown transcript command: ${rest}`);
  }
}

function play(commands: readonly string[]): string {
  let model = initialModel({ glyphs: ASCII_GLYPHS, confirmSeconds: 60, dataDir: '/var/lib/alliance', configuredName: 'gw-lab1' }, { cols: 80, rows: 24, now: Date.parse('2026-11-22T10:00:00.000Z') });
  const out: string[] = [];
  for (const command of commands) {
    out.push(`$ ${command}`);
    const words = command.split(/\s+/);
    if (words[0] === 'screen') {
      const frame = renderConsole(model);
      out.push(...frame.lines.map((l) => `${l.inverse ? '#' : '|'}${l.text.trimEnd()}`));
      if (frame.cursor !== undefined) out.push(`  cursor at row ${frame.cursor.row}, column ${frame.cursor.col}`);
      continue;
    }
    if (words[0] === 'glyphs') {
      model = { ...model, options: { ...model.options, glyphs: words[1] === 'utf8' ? UTF8_GLYPHS : ASCII_GLYPHS } };
      continue;
    }
    for (const m of message(words, command, model)) {
      const step = update(model, m);
      model = step.model;
      for (const effect of step.effects) out.push(`  effect ${JSON.stringify(effect)}`);
    }
  }
  return out.join('\n');
}

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()) {
  test(`console transcript ${file}`, () => {
    const path = join(DIR, file);
    const text = readFileSync(path, 'utf8');
    const [head = '', expected = ''] = text.split(/^----\n/m);
    const commands = head.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const got = play(commands);
    if (process.env.UPDATE === '1') {
      writeFileSync(path, `${head}----\n${got}\n`);
      return;
    }
    assert.fixture(got, expected.replace(/\n$/, ''));
  });
}

test('frameUpdate() of a screen whose event messages carry terminal controls sends none of them', () => {
  let model = initialModel({ glyphs: UTF8_GLYPHS, confirmSeconds: 60, dataDir: '/d', configuredName: 'gw' }, { cols: 80, rows: 24, now: 0 });
  const hostile = ['\u001b[2J\u001b]0;owned\u0007title', '\u009b31mred\u001bc reset', 'bell\u0007 and \u001bP DCS \u001b\\ end'];
  hostile.forEach((message, i) => {
    model = update(model, { kind: 'event', event: { id: i, at: '2026-11-22T10:00:00.000Z', severity: 'info', kind: 'k', message } }).model;
  });
  const bytes = frameUpdate(null, renderConsole(model));
  // What is left once the console's own sequences (CSI with parameters and a final letter) are taken out.
  const rest = bytes.replace(/\u001b\[[0-9;?!]*[A-Za-z]/g, '');
  assert.not.match(rest, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(rest.match(/[\u0000-\u001f\u007f-\u009f]/)));
  assert.match(rest, /owned title/);
});

test('renderConsole() draws exactly rows lines of at most cols columns at every size', () => {
  for (const [cols, rows] of [[80, 24], [40, 10], [132, 43], [20, 3]] as const) {
    let model = initialModel({ glyphs: UTF8_GLYPHS, confirmSeconds: 60, dataDir: '/d', configuredName: 'gw' }, { cols, rows, now: Date.parse('2026-11-22T10:00:00.000Z') });
    model = update(model, { kind: 'appliance', view: { kind: 'up', status: STATUS, at: 0 } }).model;
    model = update(model, { kind: 'controller', view: { kind: 'up', overview: overview(['pending=3', 'admins=0']) } }).model;
    // Wide characters take two columns: a line of them must still fit.
    model = update(model, { kind: 'event', event: { id: 1, at: '2026-11-22T10:00:00.000Z', severity: 'info', kind: 'k', message: '主机 node-東京 が承認を待っています '.repeat(4) } }).model;
    const frame = renderConsole(model);
    assert.is(frame.lines.length, rows, `${cols}x${rows}`);
    for (const l of frame.lines) assert.ok(textWidth(l.text) <= cols, `${cols}x${rows}: "${l.text}"`);
  }
});

test.run();
