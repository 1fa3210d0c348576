// The harness console tests drive dist/alliance with (test/_support/console-pty.ts),
// checked against small /bin/sh programs whose screens are known.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KEYS, openConsole } from '../_support/console-pty.ts';
import { createTestNetwork } from '../_support/netns.ts';

const sh = (script: string, options: { cols?: number; rows?: number; env?: Record<string, string>; netns?: string } = {}) => openConsole(['-c', script], { command: '/bin/sh', ...options });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

test('openConsole() lines() is the screen, exactly rows long, trailing spaces trimmed', async () => {
  const screen = sh('printf "hello   \\nworld"', { cols: 40, rows: 5 });
  await screen.exited;
  assert.equal(screen.lines(), ['hello', 'world', '', '', '']);
  assert.is(screen.text(), 'hello\nworld\n\n\n');
  await screen.close();
});

test('openConsole() places text where cursor movements put it', async () => {
  const screen = sh('printf "\\033[3;5HXY\\033[1;1HA\\033[10CB\\033[2;3Hmid\\033[D\\033[D!"', { cols: 20, rows: 4 });
  await screen.exited;
  assert.equal(screen.lines(), ['A          B', '  m!d', '    XY', '']);
  await screen.close();
});

test('openConsole() shows only what follows a clear screen', async () => {
  const screen = sh('printf "old text\\n"; read x; printf "\\033[H\\033[2Jnew text"; read x', { cols: 30, rows: 3 });
  await screen.waitFor('old text');
  screen.press(KEYS.enter);
  await screen.waitForGone('old text');
  assert.equal(screen.lines(), ['new text', '', '']);
  screen.press(KEYS.enter);
  assert.equal(await screen.exited, { exitCode: 0 });
  await screen.close();
});

test('openConsole() press() types a line the program reads, backspace erasing', async () => {
  const screen = sh('printf "name? "; read name; printf "hello, %s.\\n" "$name"');
  await screen.waitFor('name?');
  screen.press('bobx', KEYS.backspace, KEYS.enter);
  await screen.waitFor('hello, bob.');
  assert.equal(screen.lines().slice(0, 2), ['name? bob', 'hello, bob.']);
  assert.equal(await screen.exited, { exitCode: 0 });
  await screen.close();
});

test('openConsole() press(KEYS.ctrl("c")) interrupts the program', async () => {
  const screen = sh('echo ready; exec cat');
  await screen.waitFor('ready');
  screen.press(KEYS.ctrl('c'));
  assert.equal(await screen.exited, { exitCode: 0, signal: 2 });
  await screen.close();
});

test('openConsole() press() sends cursor keys in the mode the program asked for', async () => {
  // The program reads three bytes raw and shows them in hex.
  const reader = (setup: string) => sh(`printf "${setup}ready\\n"; stty raw -echo; head -c 3 | od -An -tx1`);
  const normal = reader('');
  await normal.waitFor('ready');
  normal.press(KEYS.up);
  await normal.waitFor('1b 5b 41');
  await normal.close();
  const application = reader('\\033[?1h');
  await application.waitFor('ready');
  application.press(KEYS.up);
  await application.waitFor('1b 4f 41');
  await application.close();
});

test('KEYS names what xterm sends', () => {
  assert.is(KEYS.f(1), '\x1bOP');
  assert.is(KEYS.f(5), '\x1b[15~');
  assert.is(KEYS.f(12), '\x1b[24~');
  assert.throws(() => KEYS.f(13), /F1 to F12/);
  assert.is(KEYS.ctrl('c'), '\x03');
  assert.is(KEYS.ctrl('C'), '\x03');
  assert.is(KEYS.ctrl('['), KEYS.escape);
  assert.throws(() => KEYS.ctrl('ab'), /a letter/);
  assert.throws(() => KEYS.ctrl('1'), /a letter/);
});

test('openConsole() waitFor() fails at its deadline with the screen in the message', async () => {
  const screen = sh('echo "what is there"; exec cat', { cols: 20, rows: 3 });
  await screen.waitFor('what is there');
  const err = await rejection(screen.waitFor('what is not', 100));
  assert.match(err.message, 'waitFor("what is not"): not within 100 ms');
  assert.match(err.message, 'screen 20x3, cursor at row 2 column 1, program running:');
  assert.match(err.message, '+--------------------+\n|what is there\n|\n|\n+--------------------+');
  const gone = await rejection(screen.waitForGone(/what is/, 100));
  assert.match(gone.message, 'waitForGone(/what is/): not within 100 ms');
  await screen.close();
});

test('openConsole() waitFor() fails as soon as the program ends without the text', async () => {
  const screen = sh('echo bye; exit 4');
  const started = Date.now();
  const err = await rejection(screen.waitFor('never shown', 10_000));
  assert.ok(Date.now() - started < 5_000, `failed after ${Date.now() - started} ms`);
  assert.match(err.message, 'waitFor("never shown"): the program ended first');
  assert.match(err.message, 'program exited {"exitCode":4}');
  assert.match(err.message, '|bye');
  await screen.close();
});

test('openConsole() resize() resizes the screen and the terminal the program sees', async () => {
  const screen = sh('stty size; read x; stty size; read x');
  await screen.waitFor('24 80');
  screen.resize(100, 30);
  assert.is(screen.lines().length, 30);
  screen.press(KEYS.enter);
  await screen.waitFor('30 100');
  screen.resize(40, 10);
  assert.is(screen.lines().length, 10);
  await screen.close();
});

test('openConsole() raw() is every byte the program wrote', async () => {
  const screen = sh('printf "caf\\303\\251 \\033[1mbold\\033[0m"');
  await screen.exited;
  assert.is(screen.lines()[0], 'café bold');
  const raw = screen.raw();
  assert.ok(raw.includes(Buffer.from('caf\xc3\xa9 \x1b[1mbold\x1b[0m', 'latin1')), JSON.stringify(raw.toString('latin1')));
  assert.ok(raw.some((byte) => byte > 0x7f));
  await screen.close();
});

test('openConsole() runs with cleanEnv() and TERM=xterm-256color unless told', async () => {
  const show = 'printf "%s|%s|%s|%s" "$TERM" "$HOME" "$PATH" "$EXTRA"';
  const plain = sh(show);
  await plain.exited;
  assert.match(plain.lines()[0]!, /^xterm-256color\|[^|]+\|\/usr\/sbin:\/usr\/bin:\/sbin:\/bin\|$/);
  const told = sh(show, { env: { PATH: '/bin', EXTRA: 'x' } });
  await told.exited;
  assert.is(told.lines()[0], 'xterm-256color||/bin|x');
  const dumb = sh(show, { env: { PATH: '/bin', TERM: 'dumb' } });
  await dumb.exited;
  assert.is(dumb.lines()[0], 'dumb||/bin|');
  await Promise.all([plain.close(), told.close(), dumb.close()]);
});

test('openConsole() runs dist/alliance unless given a command', async () => {
  const screen = openConsole(['version']);
  await screen.waitFor(/^alliance \d+\.\d+\.\d+/);
  assert.equal(await screen.exited, { exitCode: 0 });
  await screen.close();
});

test('openConsole() runs the program in a network namespace when asked', async () => {
  const network = createTestNetwork('cpty', 1, 93);
  try {
    const screen = sh('ip -o -4 addr show dev eth0', { netns: network.hosts[0]!.ns, cols: 120 });
    await screen.waitFor('10.93.0.1/24');
    assert.equal(await screen.exited, { exitCode: 0 });
    await screen.close();
  } finally {
    network.destroy();
  }
});

test('openConsole() close() hangs up a running program and leaves no handle open', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
  const screen = sh('echo running; exec cat');
  await screen.waitFor('running');
  await screen.close();
  assert.equal(await screen.exited, { exitCode: 0, signal: 1 });
  await screen.close();
  assert.equal(process.getActiveResourcesInfo().filter((r) => r !== 'Timeout'), before);
});

test.run();
