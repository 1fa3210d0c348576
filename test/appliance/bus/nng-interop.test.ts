// The nng binding against another implementation of the wire protocols: Debian's
// nngcat (nng-utils, libnng 1.5.2 with mbedtls 2.28) at the other end, over tcp,
// ipc and tls+tcp with mutual authentication.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TlsOptions } from '../../../appliance/bus/index.ts';
import { makeSelfSignedCertificate } from '../../../appliance/identity/index.ts';
import { freePort, tempDir } from '../../_support/appliance-process.ts';
import { killIfFrozen, rejectionOf, start, within, withSockets, withTempDir, type Child } from '../../_support/nng.ts';

killIfFrozen();

/** Only a guard against a hung test: what never comes fails the test instead of blocking the run. */
const DEADLINE_MS = 8_000;
/** So that our dialer, started before nngcat listens, connects soon after it does. */
const QUICK_RECONNECT = { reconnectMinMs: 10, reconnectMaxMs: 50 } as const;

interface Pem {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

let certDir = '';
let server: Pem;
let client: Pem;
let stranger: Pem;

test.before(async () => {
  certDir = tempDir('nng-interop-certs');
  const make = async (name: string): Promise<Pem> => {
    const certFile = join(certDir, `${name}.crt`);
    const keyFile = join(certDir, `${name}.key`);
    // ECDSA P-256, both usages (each side of mutual TLS authenticates with its own).
    // mbedtls 2.28 checks the host of the URL against DNS names only (it ignores
    // IP-address SANs), so 127.0.0.1 is listed as a DNS name as well.
    await makeSelfSignedCertificate(certFile, keyFile, {
      commonName: `interop ${name}`,
      dnsNames: ['localhost', '127.0.0.1'],
      ipAddresses: ['127.0.0.1'],
      now: new Date(),
      days: 1,
      usages: ['serverAuth', 'clientAuth'],
    });
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  };
  [server, client, stranger] = await Promise.all([make('server'), make('client'), make('stranger')]);
});

test.after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function nngcat(args: readonly string[]): Child {
  return start('nngcat', args);
}

/** Runs `body` with nngcat started from `args`; nngcat is killed afterwards whatever happens. */
async function withNngcat<T>(args: readonly string[], body: (cat: Child) => Promise<T>): Promise<T> {
  const cat = nngcat(args);
  try {
    return await body(cat);
  } finally {
    cat.kill();
  }
}

/** nngcat's --quoted format: each message on its own line in double quotes. */
function quotedLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as string);
}

async function expectExit(cat: Child, code: number, what: string): Promise<void> {
  const exit = await within(cat.exited, DEADLINE_MS, `${what} to exit`);
  assert.equal(exit, { code, signal: null }, `${what}: stderr ${JSON.stringify(cat.stderr())}`);
}

interface Transport {
  readonly name: string;
  /** Our side's URL and options, and nngcat's matching arguments (its certificate options included). */
  url(dir: string): Promise<string>;
  ourListener?: TlsOptions;
  ourDialer?: TlsOptions;
  catListener: readonly string[];
  catDialer: readonly string[];
}

const transports = (): Transport[] => [
  { name: 'tcp', url: async () => `tcp://127.0.0.1:${await freePort()}`, catListener: [], catDialer: [] },
  { name: 'ipc', url: async (dir) => `ipc://${join(dir, 'interop.sock')}`, catListener: [], catDialer: [] },
  {
    name: 'tls+tcp',
    url: async () => `tls+tcp://127.0.0.1:${await freePort()}`,
    // Our side requires the peer's certificate and trusts exactly the other side's.
    ourListener: { cert: server.cert, key: server.key, ca: client.cert, authMode: 'required' },
    ourDialer: { cert: client.cert, key: client.key, ca: server.cert, authMode: 'required', serverName: '127.0.0.1' },
    // nngcat verifies the server as a client; as a server it cannot be made to require client certificates.
    catListener: ['--cert', server.certFile, '--key', server.keyFile, '--cacert', client.certFile],
    catDialer: ['--cert', client.certFile, '--key', client.keyFile, '--cacert', server.certFile],
  },
];

for (const name of ['tcp', 'ipc', 'tls+tcp']) {
  test(`NngSocket req -> nngcat rep over ${name}: the request arrives and the reply comes back`, () =>
    withTempDir('nng-interop', async (dir) => {
      const t = transports().find((x) => x.name === name)!;
      const url = await t.url(dir);
      await withNngcat(['--rep', '--listen', url, '--data', 'pong from nngcat', '--count', '1', '--quoted', ...t.catListener], (cat) =>
        withSockets(async (open) => {
          const req = await open('req', QUICK_RECONNECT);
          req.dial(url, { tls: t.ourDialer });
          await within(req.send('ping from alliance'), DEADLINE_MS, 'the request to be sent');
          const reply = await within(req.recv(), DEADLINE_MS, 'the reply from nngcat');
          assert.is(reply.toString(), 'pong from nngcat');
          await expectExit(cat, 0, 'nngcat rep');
          assert.equal(quotedLines(cat.stdout()), ['ping from alliance']);
        }),
      );
    }));

  test(`nngcat req -> NngSocket rep over ${name}: the request arrives and the reply comes back`, () =>
    withTempDir('nng-interop', async (dir) => {
      const t = transports().find((x) => x.name === name)!;
      const url = await t.url(dir);
      await withSockets(async (open) => {
        const rep = await open('rep');
        rep.listen(url, { tls: t.ourListener });
        const request = rep.recv();
        await withNngcat(['--req', '--dial', url, '--data', 'ping from nngcat', '--quoted', ...t.catDialer], async (cat) => {
          assert.is((await within(request, DEADLINE_MS, 'the request from nngcat')).toString(), 'ping from nngcat');
          await rep.send('pong from alliance');
          await expectExit(cat, 0, 'nngcat req');
          assert.equal(quotedLines(cat.stdout()), ['pong from alliance']);
        });
      });
    }));
}

test('NngSocket rep over tls+tcp with authMode required refuses a client with no certificate or an untrusted one, and keeps serving a trusted one', () =>
  withSockets(async (open) => {
    const url = `tls+tcp://127.0.0.1:${await freePort()}`;
    const rep = await open('rep');
    rep.listen(url, { tls: { cert: server.cert, key: server.key, ca: client.cert, authMode: 'required' } });
    // One receive, pending throughout: whatever reaches the socket first comes out here.
    const first = rep.recv();
    const refused: [string, string[]][] = [
      ['no certificate', []],
      ['an untrusted certificate', ['--cert', stranger.certFile, '--key', stranger.keyFile]],
    ];
    for (const [what, certArgs] of refused) {
      await withNngcat(['--req', '--dial', url, '--data', `from a client with ${what}`, '--quoted', '--cacert', server.certFile, ...certArgs], async (cat) => {
        // nngcat dials once, blocking, and gives up when the handshake fails.
        const exit = await within(cat.exited, DEADLINE_MS, `nngcat with ${what} to give up`);
        assert.is(exit.code, 1, `nngcat with ${what} exited ${exit.code ?? exit.signal}: ${cat.stderr()}`);
        assert.match(cat.stderr(), /Unable to dial/);
        assert.is(cat.stdout(), '');
      });
    }
    await withNngcat(['--req', '--dial', url, '--data', 'from the trusted client', '--quoted', '--cacert', server.certFile, '--cert', client.certFile, '--key', client.keyFile], async (cat) => {
      assert.is((await within(first, DEADLINE_MS, 'the trusted request')).toString(), 'from the trusted client');
      await rep.send('served');
      await expectExit(cat, 0, 'the trusted nngcat');
      assert.equal(quotedLines(cat.stdout()), ['served']);
    });
    // Nothing from the refused clients is still on its way.
    assert.is((await rejectionOf(rep.recv({ timeoutMs: 200 }))).code, 'ETIMEDOUT');
  }));

test('NngSocket req over tls+tcp with authMode required refuses a server it does not trust or whose name does not match', async () => {
  const cases: [string, TlsOptions][] = [
    ['an untrusted server', { cert: client.cert, key: client.key, ca: stranger.cert, authMode: 'required', serverName: '127.0.0.1' }],
    ['a server under another name', { cert: client.cert, key: client.key, ca: server.cert, authMode: 'required', serverName: 'elsewhere.example' }],
  ];
  for (const [what, tls] of cases) {
    const url = `tls+tcp://127.0.0.1:${await freePort()}`;
    await withNngcat(['--rep', '--listen', url, '--data', 'should not be asked', '--count', '1', '--quoted', '--cert', server.certFile, '--key', server.keyFile], (cat) =>
      withSockets(async (open) => {
        const req = await open('req', QUICK_RECONNECT);
        req.dial(url, { tls });
        // A request goes out only over an established connection: with the handshake
        // failing on every retry it never does. 500 ms is ample for a loopback handshake.
        const err = await rejectionOf(req.send('secret', { timeoutMs: 500 }), DEADLINE_MS, `the request to ${what}`);
        assert.is(err.code, 'ETIMEDOUT', what);
        assert.is(cat.stdout(), '', `${what} received something`);
      }),
    );
  }
});

test('NngSocket pub -> nngcat sub: the subscriber gets only its topic', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const pub = await open('pub');
    pub.listen(url);
    await withNngcat(['--sub', '--dial', url, '--subscribe', 'news', '--count', '3', '--quoted'], async (cat) => {
      // A publisher cannot know when a subscriber has connected (messages before that are
      // dropped by design), so it publishes both topics steadily until nngcat has its three.
      let n = 0;
      const ticker = setInterval(() => {
        n += 1;
        void pub.send(`sport ${n}`);
        void pub.send(`news ${n}`);
      }, 10);
      try {
        await expectExit(cat, 0, 'nngcat sub');
      } finally {
        clearInterval(ticker);
      }
      const lines = quotedLines(cat.stdout());
      assert.is(lines.length, 3, cat.stdout());
      const numbers = lines.map((line) => {
        assert.match(line, /^news \d+$/);
        return Number(line.slice(5));
      });
      assert.equal(numbers, [numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
    });
  }));

test('nngcat pub -> NngSocket sub: subscribed messages arrive, others do not', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const sub = await open('sub');
    sub.listen(url);
    sub.subscribe('news');
    // nngcat dials before it publishes (a blocking dial), so its messages are not lost; the
    // unsubscribed topic goes first, over its own connection, and must never come out.
    await withNngcat(['--pub', '--dial', url, '--data', 'sport result', '--count', '3'], (cat) => expectExit(cat, 0, 'nngcat pub (sport)'));
    await withNngcat(['--pub', '--dial', url, '--data', 'news flash', '--count', '3'], async (cat) => {
      for (let i = 0; i < 3; i += 1) assert.is((await within(sub.recv(), DEADLINE_MS, `news ${i}`)).toString(), 'news flash');
      await expectExit(cat, 0, 'nngcat pub (news)');
    });
    assert.is((await rejectionOf(sub.recv({ timeoutMs: 200 }))).code, 'ETIMEDOUT');
  }));

test('NngSocket surveyor -> two nngcat respondents: both answers arrive within the survey', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const surveyor = await open('surveyor', { surveyTimeMs: 200 });
    surveyor.listen(url);
    const cats = ['first', 'second'].map((name) => nngcat(['--respondent', '--dial', url, '--data', `${name} respondent`, '--count', '1', '--quoted']));
    try {
      // A survey reaches only respondents connected when it goes out, and we cannot see them
      // connect; so survey in rounds until each has answered once (each answers once, then exits).
      const answers = new Set<string>();
      const deadline = Date.now() + DEADLINE_MS;
      while (answers.size < 2) {
        assert.ok(Date.now() < deadline, `only ${[...answers].join(', ') || 'no answer'} within ${DEADLINE_MS} ms`);
        await surveyor.send('anyone there?');
        for (;;) {
          const got = await surveyor.recv().then(String, (err: { code?: string }) => {
            if (err.code === 'ETIMEDOUT') return undefined; // the survey is over
            throw err as Error;
          });
          if (got === undefined) break;
          answers.add(got);
        }
      }
      assert.equal([...answers].sort(), ['first respondent', 'second respondent']);
      for (const cat of cats) {
        await expectExit(cat, 0, 'nngcat respondent');
        assert.equal(quotedLines(cat.stdout()), ['anyone there?']);
      }
    } finally {
      for (const cat of cats) cat.kill();
    }
  }));

test('nngcat surveyor -> NngSocket respondent: the survey arrives and the answer is printed', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const respondent = await open('respondent');
    respondent.listen(url);
    const survey = respondent.recv();
    // nngcat's blocking dial attaches the pipe before it surveys; it then collects answers for its 1 s survey time.
    await withNngcat(['--surveyor', '--dial', url, '--data', 'anyone there?', '--quoted'], async (cat) => {
      assert.is((await within(survey, DEADLINE_MS, 'the survey from nngcat')).toString(), 'anyone there?');
      await respondent.send('alliance here');
      await expectExit(cat, 0, 'nngcat surveyor');
      assert.equal(quotedLines(cat.stdout()), ['alliance here']);
    });
  }));

test.run();
