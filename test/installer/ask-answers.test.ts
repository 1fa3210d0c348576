import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { askAnswers, confirmInstall, type AskedAnswers, type Nic, type Prompter } from '../../installer/ask-answers.ts';
import { parseLsblk } from '../../installer/list-disks.ts';
import type { InstallPlan } from '../../installer/plan-install.ts';
import { rejection } from '../_support/refusal.ts';

const GiB = 1024 ** 3;
const disks = parseLsblk(JSON.stringify({
  blockdevices: [
    { name: 'sr0', path: '/dev/sr0', type: 'rom', size: GiB, rm: true, 'log-sec': 2048, label: 'ALLIANCE-INSTALL', mountpoints: ['/run/medium'] },
    { name: 'vda', path: '/dev/vda', type: 'disk', size: 8 * GiB, model: 'QEMU disk', tran: 'virtio', rm: false, ro: false, 'log-sec': 512, mountpoints: [null] },
    { name: 'vdb', path: '/dev/vdb', type: 'disk', size: GiB, rm: false, ro: false, 'log-sec': 512, mountpoints: [null] },
  ],
}));
const nics: Nic[] = [{ name: 'eth0', mac: '52:54:00:00:00:01', up: false }, { name: 'eth1', mac: '52:54:00:00:00:02', up: true }];
const rules = { minimumBytes: 3 * GiB, mediumMounts: ['/run/medium'] };

/** A prompter that answers from a list and keeps the transcript. */
function scripted(answers: string[]): Prompter & { transcript: string[] } {
  const transcript: string[] = [];
  const next = (question: string, secret: boolean): Promise<string> => {
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`no scripted answer for ${JSON.stringify(question)}`);
    transcript.push(`${question}${secret ? '(secret)' : answer}`);
    return Promise.resolve(answer);
  };
  return { transcript, say: (text) => void transcript.push(text), ask: (q) => next(q, false), askSecret: (q) => next(q, true) };
}

const cases: { name: string; answers: string[]; want: AskedAnswers; mentions?: string[] }[] = [
  {
    name: 'Enter everywhere: the only fitting disk, the NIC with a link by DHCP, no host name, no admin',
    answers: ['', '', '', '', ''],
    want: { answers: { target: { disk: '/dev/vda', wipe: true }, hostname: null, network: { mac: '52:54:00:00:00:02', mode: 'dhcp' }, ntp: [], admin: null, after: 'reboot' }, password: undefined },
    mentions: ['1) /dev/vda', '2) /dev/vdb', 'cannot: it holds 1 GiB'],
  },
  {
    name: 'a static address asked again until valid, a host name, an admin whose passwords first differ',
    answers: ['3', '2', '1', '1', 'static', '192.0.2.0/24', '192.0.2.10/24', '198.51.100.1', '192.0.2.1', '192.0.2.53 x', '192.0.2.53, 192.0.2.54', 'My_Host', 'GW-01', 'admin', 'short', 'correct horse battery', 'wrong', 'correct horse battery', 'correct horse battery'],
    want: {
      answers: { target: { disk: '/dev/vda', wipe: true }, hostname: 'gw-01', network: { mac: '52:54:00:00:00:01', mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '192.0.2.54'] }, ntp: [], admin: { name: 'admin' }, after: 'reboot' },
      password: 'correct horse battery',
    },
    mentions: ['type a number from 1 to 2', '192.0.2.0 is the network address of /24', 'gateway 198.51.100.1 is outside 192.0.2.0/24', '"x" is not an IPv4 address', 'only a-z, 0-9 and - allowed', 'the password is shorter than 12 characters', 'the two passwords differ'],
  },
];
for (const c of cases) {
  test(`askAnswers() with ${c.name}`, async () => {
    const p = scripted([...c.answers]);
    assert.equal(await askAnswers(p, { disks, rules, nics }), c.want);
    const text = p.transcript.join('');
    for (const m of c.mentions ?? []) assert.ok(text.includes(m), `${m} not in:\n${text}`);
    assert.not.ok(text.includes('correct horse'), 'a password was echoed');
  });
}

const plan = (kept: boolean): InstallPlan => ({ target: '/dev/vda', steps: [], data: { start: 2048, sectors: 1, kept }, erases: kept ? 'a GPT (…); the data partition 3 is kept' : 'nothing (no partition table)' });

test('confirmInstall() goes on when the disk name is typed, and says what is erased', async () => {
  const p = scripted(['vda']);
  await confirmInstall(p, plan(false), disks[1]!);
  assert.match(p.transcript.join(''), /now holds: nothing \(no partition table\)\.\nEVERYTHING on it will be erased\./);
});

test('confirmInstall() says when the earlier data partition is kept', async () => {
  const p = scripted(['/dev/vda']);
  await confirmInstall(p, plan(true), disks[1]!);
  assert.match(p.transcript.join(''), /data partition of the earlier install is KEPT/);
});

test('confirmInstall() stops on anything else, writing nothing', async () => {
  const err = await rejection(confirmInstall(scripted(['yes']), plan(false), disks[1]!));
  assert.is(err.code, 'APL_INSTALL_NOT_CONFIRMED');
  assert.match(err.message, /"yes" is not vda; nothing was written/);
});

test.run();
