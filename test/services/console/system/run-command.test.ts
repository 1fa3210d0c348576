import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { commandLine, firstLine, runChecked, runCommand } from '../../../../services/console/system/_run-command.ts';

test('runCommand() answers the exit status and output of a real program', async () => {
  assert.equal(await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']), { code: 3, stdout: 'out\n', stderr: 'err\n' });
  assert.equal(await runCommand('true', []), { code: 0, stdout: '', stderr: '' });
});

test('runCommand() kills a program at its timeout and answers 124', async () => {
  const started = Date.now();
  assert.equal(await runCommand('sleep', ['30'], { timeoutMs: 200 }), { code: 124, stdout: '', stderr: 'timed out after 200 ms' });
  assert.ok(Date.now() - started < 5000);
});

test('runCommand() answers 127 for a program that is not there', async () => {
  assert.equal(await runCommand('alliance-no-such-program', []), { code: 127, stdout: '', stderr: 'cannot run alliance-no-such-program: ENOENT' });
});

test('runCommand() runs with LANG=C and a fixed PATH, nothing of ours', async () => {
  process.env.ALLIANCE_SECRET_TEST = 'x';
  const { stdout } = await runCommand('env', []);
  assert.equal(stdout.trim().split('\n').sort(), ['LANG=C', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  delete process.env.ALLIANCE_SECRET_TEST;
});

test('firstLine() gives the first non-empty stderr line, or the exit status', () => {
  assert.is(firstLine({ code: 2, stdout: '', stderr: '\n  RTNETLINK answers: File exists \nsecond\n' }), 'RTNETLINK answers: File exists');
  assert.is(firstLine({ code: 2, stdout: 'x', stderr: ' \n' }), 'exit status 2');
});

test('commandLine() joins the program and its arguments', () => {
  assert.is(commandLine('ip', ['link', 'set', 'dev', 'eth0', 'up']), 'ip link set dev eth0 up');
});

test('runChecked() answers stdout, or throws APL_CONSOLE_SYSTEM_COMMAND_FAILED naming the command and its first stderr line', async () => {
  assert.is(await runChecked(runCommand, ['sh', '-c', 'echo fine'], 'say fine'), 'fine\n');
  try {
    await runChecked(runCommand, ['sh', '-c', 'echo first >&2; echo second >&2; exit 1'], 'fail on purpose');
    assert.unreachable('resolved');
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_COMMAND_FAILED'), String(err));
    assert.is(err.message, 'Cannot fail on purpose: `sh -c echo first >&2; echo second >&2; exit 1` failed (first); check the interface and the network settings, then try again');
  }
});

test.run();
