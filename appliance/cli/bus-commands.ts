import { existsSync, readFileSync } from 'node:fs';
import { BusClient, EventSubscriber, type TlsOptions } from '../bus/index.ts';
import type { DataDirLayout } from '../data-dir/index.ts';
import { cliErrors } from './errors.ts';
import type { CommandLine } from './parse-command-line.ts';

function tlsFrom(options: CommandLine['options']): TlsOptions | undefined {
  const read = (path: string | undefined, what: string): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw cliErrors.USAGE({ problem: `Cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
  };
  const tls = { cert: read(options.tlsCert, '--tls-cert'), key: read(options.tlsKey, '--tls-key'), ca: read(options.tlsCa, '--tls-ca'), serverName: options.serverName };
  return Object.values(tls).some((v) => v !== undefined) ? tls : undefined;
}

/** The local socket, unless --url names another; a missing local socket means the appliance is down. */
function target(cmd: CommandLine, layout: DataDirLayout, socketPath: string): string {
  if (cmd.options.url !== undefined) return cmd.options.url;
  if (!existsSync(socketPath)) throw cliErrors.NOT_RUNNING({ dataDir: layout.root, socket: socketPath });
  return `ipc://${socketPath}`;
}

export async function busCall(cmd: CommandLine, layout: DataDirLayout, out: (text: string) => void): Promise<number> {
  const [, method, paramsText] = cmd.args;
  if (method === undefined || cmd.args.length > 3) throw cliErrors.USAGE({ problem: '`alliance bus call` takes METHOD and optionally JSON parameters' });
  let params: unknown = {};
  if (paramsText !== undefined) {
    try {
      params = JSON.parse(paramsText);
    } catch (err) {
      throw cliErrors.USAGE({ problem: `Cannot parse the parameters as JSON: ${(err as Error).message}` });
    }
  }
  const timeoutMs = cmd.options.timeout === undefined ? 5000 : Number(cmd.options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw cliErrors.USAGE({ problem: `--timeout must be a positive number of milliseconds, got ${cmd.options.timeout}` });
  const client = await BusClient.connect(target(cmd, layout, layout.busSocket), { tls: tlsFrom(cmd.options), timeoutMs });
  try {
    const result = await client.call(method, params, { idempotencyKey: cmd.options.idempotencyKey });
    out(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    client.close();
  }
}

export async function busWatch(cmd: CommandLine, layout: DataDirLayout, out: (text: string) => void, stopRequested: Promise<string>): Promise<number> {
  const prefixes = cmd.args.slice(1);
  const subscriber = await EventSubscriber.connect(target(cmd, layout, layout.eventsSocket), prefixes, { tls: tlsFrom(cmd.options) });
  void stopRequested.then(() => subscriber.close());
  for await (const event of subscriber) {
    out(cmd.json ? `${JSON.stringify(event)}\n` : `${event.at}  ${event.topic}  ${JSON.stringify(event.body)}\n`);
  }
  return 0;
}
