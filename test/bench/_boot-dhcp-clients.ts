// Runs inside the clients' namespace (boot.bench.ts starts it with `ip netns exec`):
// busybox udhcpc on every interface c0..c<N-1> at once; as each one reports its
// lease, the machine's iPXE script is fetched from the boot endpoint. Prints one
// JSON line: the start time and, per client, when its lease and its script came.
// argv: <server address> <http port> <count> <mac prefix, e.g. 52:54:00:b7:00> [udhcpc -t tries]
import { spawn } from 'node:child_process';
import { get } from 'node:http';

const [server, port, countText, macPrefix, tries = '5'] = process.argv.slice(2) as [string, string, string, string, string?];
const count = Number(countText);

export interface ClientResult {
  readonly iface: string;
  readonly mac: string;
  readonly ip: string | null;
  /** ms after the start; null when it did not happen. */
  readonly leaseMs: number | null;
  readonly scriptMs: number | null;
  readonly error: string | null;
}

const macOf = (prefix: string, i: number): string => `${prefix}:${i.toString(16).padStart(2, '0')}`;

function fetchScript(mac: string): Promise<string> {
  const url = `http://${server}:${port}/boot/host?mac=${mac}&arch=x86_64&platform=pcbios`;
  return new Promise((done, fail) => {
    const request = get(url, { agent: false, timeout: 30_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? done(body) : fail(new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`))));
      response.on('error', fail);
    });
    request.on('timeout', () => request.destroy(new Error('HTTP timeout')));
    request.on('error', fail);
  });
}

function client(i: number, start: number): Promise<ClientResult> {
  const iface = `c${i}`;
  const mac = macOf(macPrefix, i);
  return new Promise((done) => {
    const child = spawn('busybox', ['udhcpc', '-i', iface, '-B', '-n', '-q', '-t', tries, '-T', '1', '-s', '/bin/true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let fetching: Promise<ClientResult> | undefined;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const ip = /lease of ([0-9.]+) obtained/.exec(output)?.[1];
      if (ip === undefined || fetching !== undefined) return;
      const leaseMs = Date.now() - start;
      fetching = fetchScript(mac).then(
        (body) => ({ iface, mac, ip, leaseMs, scriptMs: Date.now() - start, error: body.startsWith('#!ipxe') ? null : `not an iPXE script: ${body.slice(0, 120)}` }),
        (err: Error) => ({ iface, mac, ip, leaseMs, scriptMs: null, error: err.message }),
      );
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      if (fetching !== undefined) void fetching.then(done);
      else done({ iface, mac, ip: null, leaseMs: null, scriptMs: null, error: `udhcpc exited ${code} without a lease: ${output.trim().split('\n').slice(-2).join(' | ')}` });
    });
  });
}

if (count > 0) {
  const start = Date.now();
  const results = await Promise.all(Array.from({ length: count }, (_, i) => client(i, start)));
  process.stdout.write(`${JSON.stringify({ start, results })}\n`);
}
