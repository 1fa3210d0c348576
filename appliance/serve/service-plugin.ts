import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.ts';
import type { DataDirLayout } from '../data-dir/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import type { Method } from '../bus/index.ts';
import type { Logger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import type { ServiceDefinition } from '../supervisor/index.ts';
import type { VisibleNodes } from './discovery-service.ts';

export type Severity = 'info' | 'warning' | 'error';

/** What the appliance lends a service running in its process. */
export interface PluginContext {
  readonly config: Config;
  readonly layout: DataDirLayout;
  readonly store: Store;
  readonly identity: NodeIdentity;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Records an event in the appliance journal (on disk when it returns) and announces it on the bus. */
  readonly note: (kind: string, severity: Severity, message: string, data: Record<string, unknown>) => void;
  /**
   * Calls a method on the appliance's own bus (another service's, say), through
   * the local ipc socket like any other caller: services never call each other's code.
   */
  readonly call: <R = unknown>(method: string, params: unknown, options?: { readonly timeoutMs?: number }) => Promise<R>;
  /** Publishes on the local event bus, best effort. */
  readonly announce: (topic: string, body: unknown) => void;
  readonly visible: () => VisibleNodes;
  readonly now: () => Date;
}

/** A service as the appliance hosts it: any of a supervised part, public routes, and local control routes. */
export interface ServicePlugin {
  readonly name: string;
  readonly service?: ServiceDefinition;
  /** A Fastify plugin on the HTTPS port, beside /healthz and /metrics. */
  readonly publicRoutes?: (app: FastifyInstance) => Promise<void>;
  /** A Fastify plugin on the local control socket (0600: reaching it is the authentication). */
  readonly controlRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Methods on the appliance's local bus socket (never on bus.listen: peers get the appliance's own methods only), named `<service>.<verb>`; a name the appliance already serves is refused at start. */
  readonly busMethods?: Readonly<Record<string, Method>>;
}

/** What `alliance init` lends a service, so it can set up its part of a new store. */
export interface InitContext {
  readonly store: Store;
  readonly layout: DataDirLayout;
  readonly now: Date;
  /** Operator answers for init (e.g. the first admin), by name. */
  readonly answers: Readonly<Record<string, string | undefined>>;
}

/** What a command a service contributes (`alliance agent`, say) gets from the CLI. */
export interface CommandContext {
  readonly config: Config;
  readonly configFile: string | undefined;
  readonly layout: DataDirLayout;
  readonly log: Logger;
  readonly json: boolean;
  readonly hostname: string;
  readonly out: (text: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  readonly stopRequested: Promise<string>;
  /** The command's arguments after its name (`alliance boot lease-hook add ...` gives ['lease-hook', 'add', ...]). */
  readonly args: readonly string[];
  /** The process environment (a hook called by another program reads its variables here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command's options by name ('yes' for a flag given). */
  readonly options: Readonly<Record<string, string | undefined>>;
  /** The controlling terminal, when stdin and stdout are one (`alliance console` needs it). */
  readonly terminal?: { readonly input: NodeJS.ReadStream; readonly output: NodeJS.WriteStream };
}

/** A service as appliance/main.ts hands it to the core: the core never imports services/. */
export interface ServiceModule {
  readonly name: string;
  readonly plugin?: (ctx: PluginContext) => ServicePlugin;
  /** Runs inside `alliance init`; returns lines to print. Must be idempotent. */
  readonly initialise?: (ctx: InitContext) => Promise<readonly string[]>;
  /** Runs the service as the whole process (`alliance agent`), or its subcommands (`alliance boot SUB ...`); resolves to the exit code. */
  readonly run?: (ctx: CommandContext) => Promise<number>;
}
