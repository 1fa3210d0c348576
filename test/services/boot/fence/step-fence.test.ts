import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DriverOutcome } from '../../../../services/boot/fence/power-driver.ts';
import { type FenceAction, type FenceEvent, fenceStatusCode, type FenceStep, startFence, stepFence } from '../../../../services/boot/fence/step-fence.ts';

// The transcripts in testdata/fence.txt: each case feeds driver answers to the
// machine in order, 100 ms apart (a wait moves the clock by its length), and
// compares the whole transcript. UPDATE=1 rewrites the expected parts.
const ON: DriverOutcome = { ok: true, power: 'on' };
const OFF: DriverOutcome = { ok: true, power: 'off' };
const OK: DriverOutcome = { ok: true };
const fail = (kind: 'timeout' | 'unreachable' | 'auth' | 'failed', message: string): DriverOutcome => ({ ok: false, failure: { kind, message } });

function transcript(action: FenceAction, outcomes: DriverOutcome[], options = { timeoutMs: 3000, pollMs: 1000 }): string {
  let now = 0;
  const lines: string[] = [];
  let step: FenceStep = startFence(action, { now, ...options });
  const queue = [...outcomes];
  while (step.state.result === undefined) {
    const effect = step.effects[0];
    if (effect === undefined) return `${lines.join('\n')}\nSTUCK`;
    let event: FenceEvent;
    if (effect.kind === 'wait') {
      lines.push(`${now} wait ${effect.ms}`);
      now += effect.ms;
      event = { kind: 'waited', now };
    } else {
      const outcome = queue.shift();
      if (outcome === undefined) return `${lines.join('\n')}\n${now} ${effect.kind} -> (no outcome scripted)`;
      now += 100;
      lines.push(`${now - 100} ${effect.kind} -> ${outcome.ok ? (outcome.power ?? 'ok') : `${outcome.failure.kind}: ${outcome.failure.message}`}`);
      event = { kind: 'result', now, outcome };
    }
    step = stepFence(step.state, event);
  }
  const r = step.state.result;
  lines.push(r.ok ? `= ok ${r.action} ${r.power}${r.warning === undefined ? '' : ` (${r.warning})`}` : `= FAILED ${r.action} ${r.failure.kind}: ${r.failure.message}`);
  if (queue.length > 0) lines.push(`${queue.length} outcomes left over`);
  return lines.join('\n');
}

const FILE = join(import.meta.dirname, 'testdata', 'fence.txt');

interface Case {
  readonly title: string;
  readonly header: string[];
  readonly action: FenceAction;
  readonly options: { timeoutMs: number; pollMs: number };
  readonly outcomes: DriverOutcome[];
  readonly expected: string;
}

function parseOutcome(line: string): DriverOutcome {
  if (line === 'on' || line === 'off') return { ok: true, power: line };
  if (line === 'ok') return OK;
  const m = /^(timeout|unreachable|auth|failed): (.*)$/.exec(line);
  if (m === null) throw new SyntaxError(`Cannot read the driver answer "${line}" in ${FILE}`);
  return fail(m[1] as 'timeout', m[2]!);
}

/** Cases are separated by blank lines; `#` lines before `run` are the title and kept on rewrite. */
function readCases(text: string): { preamble: string; cases: Case[] } {
  const blocks = text.trimEnd().split(/\n\n+/);
  const preamble = blocks[0]!.split('\n').every((l) => l.startsWith('#')) ? `${blocks.shift()!}\n\n` : '';
  const cases = blocks.map((block) => {
    const lines = block.split('\n');
    const header = lines.filter((l, i) => l.startsWith('#') && lines.slice(0, i).every((p) => p.startsWith('#')));
    const body = lines.slice(header.length);
    const sep = body.indexOf('----');
    const m = /^run (off|on|reboot|status) timeout=(\d+) poll=(\d+)$/.exec(body[0] ?? '');
    if (m === null || sep < 0) throw new SyntaxError(`Cannot read the case "${block.slice(0, 60)}" in ${FILE}`);
    return {
      title: header.map((h) => h.replace(/^#\s*/, '')).join(' ') || body[0]!,
      header,
      action: m[1] as FenceAction,
      options: { timeoutMs: Number(m[2]), pollMs: Number(m[3]) },
      outcomes: body.slice(1, sep).map(parseOutcome),
      expected: body.slice(sep + 1).join('\n'),
    };
  });
  return { preamble, cases };
}

const { preamble, cases } = readCases(readFileSync(FILE, 'utf8'));
if (process.env.UPDATE === '1') {
  const blocks = cases.map((c) => {
    const outcomes = c.outcomes.map((o) => (o.ok ? (o.power ?? 'ok') : `${o.failure.kind}: ${o.failure.message}`));
    return [...c.header, `run ${c.action} timeout=${c.options.timeoutMs} poll=${c.options.pollMs}`, ...outcomes, '----', transcript(c.action, c.outcomes, c.options)].join('\n');
  });
  writeFileSync(FILE, `${preamble}${blocks.join('\n\n')}\n`);
}
for (const c of cases) {
  test(`stepFence() transcript: ${c.title}`, () => {
    assert.fixture(transcript(c.action, c.outcomes, c.options), c.expected);
  });
}

test('stepFence() takes a late read showing the target as the truth', () => {
  const start = startFence('off', { now: 0, timeoutMs: 1000, pollMs: 100 });
  const acted = stepFence(start.state, { kind: 'result', now: 10, outcome: ON });
  const verifying = stepFence(acted.state, { kind: 'result', now: 20, outcome: OK });
  const done = stepFence(verifying.state, { kind: 'result', now: 5000, outcome: OFF });
  assert.equal(done.state.result, { ok: true, action: 'off', power: 'off' });
});

test('stepFence() ignores events once done and events of the wrong kind', () => {
  const done = stepFence(startFence('status', { now: 0 }).state, { kind: 'result', now: 1, outcome: OFF });
  assert.equal(stepFence(done.state, { kind: 'result', now: 2, outcome: ON }), { state: done.state, effects: [] });
  const start = startFence('off', { now: 0 });
  assert.equal(stepFence(start.state, { kind: 'waited', now: 5 }), { state: start.state, effects: [] });
});

test('startFence() refuses a non-positive timeout', () => {
  assert.throws(() => startFence('off', { now: 0, timeoutMs: 0 }), /Cannot start fencing: timeoutMs 0/);
});

test('fenceStatusCode() gives 0 on, 2 off, 1 unreachable', () => {
  assert.equal(
    [
      fenceStatusCode({ ok: true, action: 'status', power: 'on' }),
      fenceStatusCode({ ok: true, action: 'status', power: 'off' }),
      fenceStatusCode({ ok: false, action: 'status', failure: { kind: 'unreachable', message: 'x' } }),
    ],
    [0, 2, 1],
  );
});

test.run();
