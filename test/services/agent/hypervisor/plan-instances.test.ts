import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InstanceSpec } from '../../../../appliance/contracts/index.ts';
import { planInstances, type DomainState, type InstanceAction, type InstanceMemory, type ObservedInstance } from '../../../../services/agent/hypervisor/plan-instances.ts';
import { specOf } from './_specs.ts';

const NOW = 1_000_000;
const TIMEOUT = 60_000;
const A = specOf(1);
const IMAGE = A.image.id;

function seen(spec: InstanceSpec | string, domain: DomainState | undefined, more: Partial<ObservedInstance> = {}): ObservedInstance {
  return { id: typeof spec === 'string' ? spec : spec.id, domain, diskPresent: true, rebootGeneration: 0, ...more };
}

function memory(over: Partial<InstanceMemory>): InstanceMemory {
  return { failures: 0, retryAtMs: 0, error: null, shutdownAtMs: undefined, ...over };
}

/** Action kinds only: the table reads as a list of steps. */
const kinds = (actions: readonly InstanceAction[]): string[] => actions.map((a) => a.kind);

interface Case {
  readonly desired: InstanceSpec[];
  readonly observed: ObservedInstance[];
  readonly cached?: string[];
  readonly memory?: Record<string, InstanceMemory>;
  readonly actions: string[];
  readonly removing?: string[];
  readonly backingOff?: string[];
}

const OTHER = '00000000-0000-4000-8000-0000000000ff';

const cases: Record<string, Case> = {
  'new instance, image not cached: fetch, disk, define, start': { desired: [A], observed: [], actions: ['fetch-image', 'make-disk', 'define', 'start'] },
  'new instance, image cached: no fetch': { desired: [A], observed: [], cached: [IMAGE], actions: ['make-disk', 'define', 'start'] },
  'new stopped instance: made but not started': { desired: [specOf(1, { power: 'stopped' })], observed: [], cached: [IMAGE], actions: ['make-disk', 'define'] },
  'missing domain over a present disk: define and start only': { desired: [A], observed: [seen(A, undefined)], actions: ['define', 'start'] },
  'domain without its disk: disk made again': { desired: [A], observed: [seen(A, 'shut off', { diskPresent: false })], cached: [IMAGE], actions: ['make-disk', 'start'] },
  'running as desired: nothing': { desired: [A], observed: [seen(A, 'running')], actions: [] },
  'stopped as desired: nothing': { desired: [specOf(1, { power: 'stopped' })], observed: [seen(A, 'shut off')], actions: [] },
  'shut off, wanted running: start': { desired: [A], observed: [seen(A, 'shut off')], actions: ['start'] },
  'crashed, wanted running: start': { desired: [A], observed: [seen(A, 'crashed')], actions: ['start'] },
  'paused, wanted running: resume': { desired: [A], observed: [seen(A, 'paused')], actions: ['resume'] },
  'in shutdown, wanted running: wait for it to stop': { desired: [A], observed: [seen(A, 'in shutdown')], actions: [] },
  'state unknown to the plan: left alone': { desired: [A], observed: [seen(A, 'other')], actions: [] },
  'running, wanted stopped: graceful shutdown': { desired: [specOf(1, { power: 'stopped' })], observed: [seen(A, 'running')], actions: ['shutdown'] },
  'shutdown asked, within the timeout: wait': {
    desired: [specOf(1, { power: 'stopped' })],
    observed: [seen(A, 'running')],
    memory: { [A.id]: memory({ shutdownAtMs: NOW - TIMEOUT + 1 }) },
    actions: [],
  },
  'shutdown asked, timeout passed: destroy': {
    desired: [specOf(1, { power: 'stopped' })],
    observed: [seen(A, 'in shutdown')],
    memory: { [A.id]: memory({ shutdownAtMs: NOW - TIMEOUT }) },
    actions: ['destroy'],
  },
  'paused, wanted stopped: destroy (a paused guest cannot answer ACPI)': { desired: [specOf(1, { power: 'stopped' })], observed: [seen(A, 'paused')], actions: ['destroy'] },
  'reboot generation raised while running: reboot': { desired: [specOf(1, { rebootGeneration: 3 })], observed: [seen(A, 'running', { rebootGeneration: 2 })], actions: ['reboot'] },
  'reboot generation already applied: nothing': { desired: [specOf(1, { rebootGeneration: 3 })], observed: [seen(A, 'running', { rebootGeneration: 3 })], actions: [] },
  'reboot generation raised while stopped: nothing (the next start applies it)': {
    desired: [specOf(1, { power: 'stopped', rebootGeneration: 3 })],
    observed: [seen(A, 'shut off', { rebootGeneration: 2 })],
    actions: [],
  },
  'our running domain no longer desired: destroy, undefine, remove files': { desired: [], observed: [seen(OTHER, 'running')], actions: ['destroy', 'undefine', 'remove-files'], removing: [OTHER] },
  'our shut-off domain no longer desired: undefine, remove files': { desired: [], observed: [seen(OTHER, 'shut off')], actions: ['undefine', 'remove-files'], removing: [OTHER] },
  'files left without a domain: removed': { desired: [], observed: [seen(OTHER, undefined)], actions: ['remove-files'], removing: [OTHER] },
  'failed instance inside its back-off: left alone': {
    desired: [A],
    observed: [],
    memory: { [A.id]: memory({ failures: 2, retryAtMs: NOW + 1, error: 'x' }) },
    actions: [],
    backingOff: [A.id],
  },
  'failed instance whose back-off ran out: tried again': {
    desired: [A],
    observed: [],
    cached: [IMAGE],
    memory: { [A.id]: memory({ failures: 2, retryAtMs: NOW, error: 'x' }) },
    actions: ['make-disk', 'define', 'start'],
  },
  'removal inside its back-off: left alone but still reported as removing': {
    desired: [],
    observed: [seen(OTHER, 'shut off')],
    memory: { [OTHER]: memory({ failures: 1, retryAtMs: NOW + 5 }) },
    actions: [],
    removing: [OTHER],
    backingOff: [OTHER],
  },
};

for (const [name, c] of Object.entries(cases)) {
  test(`planInstances() ${name}`, () => {
    const plan = planInstances(
      c.desired,
      { observed: c.observed, cachedImages: new Set(c.cached ?? []), memory: new Map(Object.entries(c.memory ?? {})) },
      { nowMs: NOW, shutdownTimeoutMs: TIMEOUT },
    );
    assert.equal(kinds(plan.actions), c.actions);
    assert.equal(plan.removing, c.removing ?? []);
    assert.equal(plan.backingOff, c.backingOff ?? []);
  });
}

test('planInstances() orders desired instances as given, then removals, each in image, disk, domain, power order', () => {
  const b = specOf(2, { power: 'stopped' });
  const plan = planInstances([A, b], { observed: [seen(OTHER, 'running'), seen(b, 'running')], cachedImages: new Set(), memory: new Map() }, { nowMs: NOW, shutdownTimeoutMs: TIMEOUT });
  assert.equal(
    plan.actions.map((a) => `${a.kind} ${a.id.slice(-2)}`),
    ['fetch-image 01', 'make-disk 01', 'define 01', 'start 01', 'shutdown 02', 'destroy ff', 'undefine ff', 'remove-files ff'],
  );
});

/** What the host looks like once the actions went through (shutdown completes at once). */
function simulate(observed: ObservedInstance[], actions: readonly InstanceAction[], cached: Set<string>): ObservedInstance[] {
  const byId = new Map(observed.map((o) => [o.id, { ...o }]));
  for (const a of actions) {
    const o = byId.get(a.id) ?? { id: a.id, domain: undefined, diskPresent: false, rebootGeneration: undefined };
    byId.set(a.id, o);
    if (a.kind === 'fetch-image') cached.add(a.image.id);
    if (a.kind === 'make-disk') o.diskPresent = true;
    if (a.kind === 'define') Object.assign(o, { domain: 'shut off', rebootGeneration: a.spec.rebootGeneration });
    if (a.kind === 'start' || a.kind === 'reboot') Object.assign(o, { domain: 'running', rebootGeneration: a.rebootGeneration });
    if (a.kind === 'resume') o.domain = 'running';
    if (a.kind === 'shutdown' || a.kind === 'destroy') o.domain = 'shut off';
    if (a.kind === 'undefine') o.domain = undefined;
    if (a.kind === 'remove-files') byId.delete(a.id);
  }
  return [...byId.values()];
}

test('planInstances() plans nothing once its actions are applied (idempotent), from any start', () => {
  const desired = [specOf(1), specOf(2, { power: 'stopped' }), specOf(3, { rebootGeneration: 4 })];
  const starts: ObservedInstance[][] = [
    [],
    [seen(specOf(1), 'paused'), seen(specOf(2), 'running'), seen(specOf(3), 'running', { rebootGeneration: 1 }), seen(OTHER, 'running')],
    [seen(specOf(1), undefined), seen(specOf(2), 'crashed', { diskPresent: false }), seen(OTHER, undefined)],
  ];
  for (const start of starts) {
    const cached = new Set<string>();
    const inputs = (observed: ObservedInstance[]) => ({ observed, cachedImages: cached, memory: new Map<string, InstanceMemory>() });
    const first = planInstances(desired, inputs(start), { nowMs: NOW, shutdownTimeoutMs: TIMEOUT });
    const after = simulate(start, first.actions, cached);
    const second = planInstances(desired, inputs(after), { nowMs: NOW, shutdownTimeoutMs: TIMEOUT });
    assert.equal(kinds(second.actions), [], `from ${JSON.stringify(start)}`);
    assert.equal(second.removing, []);
  }
});

test.run();
