import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatRejections, place, type PlacementDecision } from '../../../../../services/controller/compute/placement/index.ts';
import { allocation, host, POLICY, request } from './_fixtures.ts';

// A cloud with something to say about every kind of refusal.
const hosts = [
  ...Array.from({ length: 10 }, (_, i) => host(`off${i}`, { state: 'offline' })),
  host('sus0', { state: 'suspect' }),
  host('sus1', { state: 'suspect' }),
  host('maint', { maintenance: true }),
  host('gpu0', { traits: ['gpu'] }),
  host('full', { vcpus: 1 }),
  host('edge'),
  host('best'),
];
const allocations = [allocation('full', { vcpus: 3 }), allocation('edge', { vcpus: 28 }), allocation('best', { vcpus: 4 })];

test('formatRejections() groups by filter, then names the chosen host and why', () => {
  const d = place(request({ forbiddenTraits: ['gpu'] }), hosts, allocations, POLICY);
  assert.fixture(
    formatRejections(d),
    [
      '17 hosts considered, 16 rejected',
      '12 hosts: not active (offline 10, suspect 2)',
      '1 host: in maintenance',
      '1 host: traits do not match (has gpu 1)',
      '1 host: not enough vCPUs (e.g. node-full (full): needs 2 vCPUs, 1 of 4 free (ratio 4.0))',
      '1 host: would eat into the evacuation reserve (e.g. node-edge (edge): would leave 2 of 32 vCPUs free; 10% (3.2) is kept for evacuations)',
      'placed on node-best (best), weight 0.748: the only host that could take it (vCPU 19%, memory 25%)',
    ].join('\n'),
  );
});

test('formatRejections() says when no host can take the instance, and can list every host', () => {
  const d = place(request({ requiredTraits: ['gpu'] }), [host('a', { state: 'offline' }), host('b'), host('c')], [], POLICY);
  assert.fixture(
    formatRejections(d, { everyHost: true }),
    [
      '3 hosts considered, 3 rejected',
      '1 host: not active (offline 1)',
      '  node-a (a): host is offline; only active hosts take new instances',
      '2 hosts: traits do not match (lacks gpu 2)',
      '  node-b (b): lacks required trait gpu',
      '  node-c (c): lacks required trait gpu',
      'no host can take the instance',
    ].join('\n'),
  );
});

test('formatRejections() breaks a group down when its hosts were refused for different things', () => {
  const d = place(request(), [host('a', { vcpus: 0 }), host('b')], [allocation('b', { vcpus: NaN })], POLICY);
  assert.fixture(
    formatRejections(d),
    [
      '2 hosts considered, 2 rejected',
      '2 hosts: not enough vCPUs (invalid allocation 1, invalid host figure 1; e.g. node-a (a): host reports 0 vCPUs; not a positive number)',
      'no host can take the instance',
    ].join('\n'),
  );
});

test('formatRejections() keeps filters it does not know, after the known ones, by their name', () => {
  const d: PlacementDecision = {
    kind: 'impossible',
    considered: 2,
    rejected: [
      { hostId: 'x', hostName: 'x', filter: 'numa', reason: 'no NUMA node with 64 GiB' },
      { hostId: 'y', hostName: 'y', filter: 'state', reason: 'host is offline', summary: 'offline' },
    ],
  };
  assert.fixture(formatRejections(d), ['2 hosts considered, 2 rejected', '1 host: not active (offline 1)', '1 host: numa', 'no host can take the instance'].join('\n'));
});

test.run();
