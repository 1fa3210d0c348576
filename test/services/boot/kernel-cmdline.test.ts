import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKernelCmdline } from '../../../services/agent/kernel-cmdline.ts';
import { type KernelParams, renderKernelCmdline } from '../../../services/boot/kernel-cmdline.ts';

const JOIN = 'abcdefgh.abcdefghijklmnopqrstuvwxyz234567';
const FP = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0')).join(':');

const rendered: Record<string, [KernelParams, string]> = {
  'controller only, default consoles': [{ controller: '10.0.0.5:8443' }, 'alliance.controller=10.0.0.5:8443 console=tty0 console=ttyS0,115200n8'],
  'everything': [
    { controller: 'appliance.lan:8443', joinCode: JOIN, fingerprint: FP, consoles: ['ttyS0'], extra: ['quiet', 'panic=10'] },
    `alliance.controller=appliance.lan:8443 alliance.join=${JOIN} alliance.fingerprint=${FP.toUpperCase()} console=ttyS0 quiet panic=10`,
  ],
  'IPv6 controller, no consoles': [{ controller: '[fd00::5]:8443', consoles: [] }, 'alliance.controller=[fd00::5]:8443'],
};
for (const [name, [params, expected]] of Object.entries(rendered)) {
  test(`renderKernelCmdline() renders ${name}`, () => {
    assert.is(renderKernelCmdline(params), expected);
  });
}

const refused: Record<string, [KernelParams, string]> = {
  'a controller without a port': [{ controller: '10.0.0.5' }, 'alliance.controller'],
  'a controller with port 0': [{ controller: '10.0.0.5:0' }, 'alliance.controller'],
  'a controller with port 70000': [{ controller: '10.0.0.5:70000' }, 'alliance.controller'],
  'a controller carrying an iPXE expansion': [{ controller: '${net0/ip}:8443' }, 'alliance.controller'],
  'a controller with a space and a command': [{ controller: '10.0.0.5:8443 || shell' }, 'alliance.controller'],
  'an upper-case join code': [{ controller: 'a:1', joinCode: JOIN.toUpperCase() }, 'alliance.join'],
  'a short fingerprint': [{ controller: 'a:1', fingerprint: 'AA:BB' }, 'alliance.fingerprint'],
  'a console with a quote': [{ controller: 'a:1', consoles: ['ttyS0"'] }, 'console'],
  'an extra alliance parameter': [{ controller: 'a:1', extra: ['alliance.join=x'] }, 'extra'],
  'an extra with ${}': [{ controller: 'a:1', extra: ['x=${mac}'] }, 'extra'],
  'an extra initrd=': [{ controller: 'a:1', extra: ['initrd=evil'] }, 'extra'],
};
for (const [name, [params, what]] of Object.entries(refused)) {
  test(`renderKernelCmdline() refuses ${name}`, () => {
    try {
      renderKernelCmdline(params);
      assert.unreachable('rendered');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'APL_BOOT_PARAM_INVALID');
      assert.ok((e as Error).message.includes(`Cannot place ${what} `), (e as Error).message);
    }
  });
}

test('renderKernelCmdline() never puts the join secret in an error', () => {
  try {
    renderKernelCmdline({ controller: 'a:1', joinCode: 'abcdefgh.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567' });
    assert.unreachable('rendered');
  } catch (e) {
    assert.not.ok((e as Error).message.includes('ABCDEFGHIJ'));
  }
});

const roundTrips: Record<string, KernelParams> = {
  'all three with a host name': { controller: 'appliance.lan:8443', joinCode: JOIN, fingerprint: FP },
  'an IPv4 controller without a join code': { controller: '192.168.10.1:443', fingerprint: FP.toUpperCase() },
  'an IPv6 controller and extras': { controller: '[fd00::1]:8443', joinCode: JOIN, extra: ['quiet'] },
};
for (const [name, params] of Object.entries(roundTrips)) {
  test(`renderKernelCmdline() output reads back through the agent's parseKernelCmdline(): ${name}`, () => {
    const line = `BOOT_IMAGE=vmlinuz initrd=initrd.img ${renderKernelCmdline(params)}`;
    assert.equal(parseKernelCmdline(line), {
      controller: params.controller,
      ...(params.joinCode === undefined ? {} : { joinCode: params.joinCode }),
      ...(params.fingerprint === undefined ? {} : { fingerprint: params.fingerprint.toUpperCase() }),
      problems: [],
    });
  });
}

test.run();
