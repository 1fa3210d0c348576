import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freemem, loadavg, networkInterfaces, totalmem, uptime } from 'node:os';
import { buildInfo } from '../../appliance/build-info.ts';
import type { Config } from '../../appliance/config/index.ts';
import type { Inventory } from '../../appliance/contracts/index.ts';
import type { DataDirLayout } from '../../appliance/data-dir/index.ts';
import { describeError } from '../../appliance/errors/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import { loadAgentKeys } from './agent-keys.ts';
import { agentPaths } from './agent-paths.ts';
import { resolveAgentSettings, type AgentSettings } from './agent-settings.ts';
import { readBootstrap, writeBootstrap, type Bootstrap } from './bootstrap-file.ts';
import { collectInventory } from './collect-inventory.ts';
import { chooseController } from './controller-address.ts';
import { enrol } from './enrolment-client.ts';
import { hostLabel } from './enrolment-request.ts';
import { agentErrors } from './errors.ts';
import { findController } from './find-controller.ts';
import { runHeartbeatLoop } from './heartbeat-loop.ts';
import { instanceRunner } from './instance-runner.ts';
import { hostAddresses } from './host-addresses.ts';
import { openHostDiscovery, type HostDiscovery } from './host-discovery.ts';
import { hostHealth, type HealthSample } from './host-health.ts';
import { formatHostPort, type HostPort } from './host-port.ts';
import { InventoryKeeper } from './inventory-keeper.ts';

export interface AgentContext {
  readonly config: Config;
  readonly layout: DataDirLayout;
  readonly log: Logger;
  readonly hostname: string;
  /** Resolves when the agent is to stop. */
  readonly stopRequested: Promise<unknown>;
}

/** Knobs for tests; production uses the defaults. */
export interface AgentTuning {
  readonly collect?: () => Promise<Inventory>;
  /** How often the inventory is collected again to notice changes; default 5 min. */
  readonly inventoryRefreshMs?: number;
  readonly enrolBackoff?: { readonly minMs: number; readonly maxMs: number };
  readonly sessionBackoff?: { readonly minMs: number; readonly maxMs: number };
  readonly now?: () => Date;
}

/** After this many attempts in a row that reach nothing, an address we were not told to use is looked for again. */
const MAX_UNREACHABLE_FOUND = 5;

/**
 * The host agent: finds the controller, enrols (or uses the saved bootstrap),
 * keeps the bus session with heartbeats, inventory and desired state, and
 * advertises the host on mDNS. Resolves to 0 when stopped; throws a coded
 * error for a configuration mistake or a controller that fails its join proof.
 */
export async function runAgent(ctx: AgentContext, tuning: AgentTuning = {}): Promise<number> {
  const { config } = ctx;
  const log = ctx.log.child({ svc: 'agent' });
  const now = tuning.now ?? (() => new Date());
  const version = buildInfo().version;
  const paths = agentPaths(ctx.layout);

  const settings = resolveAgentSettings(config.agent, readInputs(config.agent));
  for (const warning of settings.warnings) log.warn(warning);
  let bootstrap = readBootstrap(paths.bootstrap);
  // A mistake in agent.controller, or nowhere to look, shows now (before a new host gets keys) rather than after a long wait.
  const first = chooseController({ config: settings.controller.config, cmdline: settings.controller.cmdline, bootstrap: bootstrap?.controller });
  if (first.kind === 'mdns' && !config.discovery.enabled) throw agentErrors.NO_CONTROLLER();
  const keys = loadAgentKeys(paths);
  const hostId = keys.identity.nodeId;
  log.info({ hostId, dataDir: paths.dir, created: keys.created }, keys.created ? 'made the keys of a new host' : 'loaded the host keys');

  const stopping = new AbortController();
  const { signal } = stopping;
  void ctx.stopRequested.then(() => stopping.abort());

  const keeper = new InventoryKeeper(tuning.collect ?? (() => collectInventory()));
  const started = Date.now();
  await keeper.refresh().then(
    () => log.info({ ms: Date.now() - started, inventoryHash: keeper.hash }, 'inventory collected'),
    (err: unknown) => log.warn({ err: describeError(err) }, 'cannot collect the inventory; enrolling without it'),
  );
  const refresher = setInterval(() => {
    keeper.refresh().then(
      (changed) => changed && log.info({ inventoryHash: keeper.hash }, 'inventory changed'),
      (err: unknown) => log.warn({ err: describeError(err) }, 'cannot collect the inventory again; keeping the last one'),
    );
  }, tuning.inventoryRefreshMs ?? 5 * 60_000);
  refresher.unref();

  let discovery: HostDiscovery | undefined;
  try {
    discovery = await openHostDiscovery(config, { hostId, hostname: ctx.hostname, version, log });
  } catch (err) {
    log.warn({ err: describeError(err) }, 'cannot start mDNS: this host is not advertised, and the controller is not looked for by mDNS');
  }
  const addresses = (): string[] => hostAddresses(networkInterfaces());
  const instances = ctx.config.agent.libvirt_uri === '' ? undefined : instanceRunner({ uri: ctx.config.agent.libvirt_uri, agentDir: paths.dir, log });
  if (instances === undefined) log.info('agent.libvirt_uri is empty: this host runs no instances');

  try {
    let avoidRemembered = false;
    while (!signal.aborted) {
      if (bootstrap !== undefined && bootstrap.credential !== null) {
        log.info({ hostId, controller: bootstrap.controller, busPort: bootstrap.busPort }, 'connecting to the controller with the saved bootstrap');
        const end = await runHeartbeatLoop(bootstrap, {
          tlsKeyPem: keys.tlsKeyPem,
          agentVersion: version,
          addresses,
          health: () => hostHealth(sampleHealth(), keeper.current),
          inventory: keeper,
          log,
          signal,
          backoff: tuning.sessionBackoff,
          ...(instances === undefined ? {} : { instances }),
        });
        if (end.kind === 'stopped') break;
        // Refused: the credential is dead. Keep the rest (the controller's address and pin) to enrol again.
        bootstrap = { ...bootstrap, credential: null };
        writeBootstrap(paths.bootstrap, bootstrap);
        continue;
      }
      const choice = chooseController({ config: settings.controller.config, cmdline: settings.controller.cmdline, bootstrap: avoidRemembered ? undefined : bootstrap?.controller });
      let target: HostPort | undefined;
      if (choice.kind === 'fixed') target = choice.address;
      else if (discovery !== undefined) target = (await findController(discovery, { log, signal }))?.address;
      else throw agentErrors.NO_CONTROLLER();
      if (target === undefined) break;
      const told = choice.kind === 'fixed' && choice.source !== 'bootstrap';
      const result = await enrol(keys, {
        target,
        fingerprint: pinFor(settings, bootstrap, target),
        joinCode: settings.joinCode,
        name: hostLabel(ctx.hostname),
        agentVersion: version,
        addresses,
        inventory: () => keeper.current ?? null,
        log,
        signal,
        now,
        nonce: () => randomBytes(18).toString('base64url'),
        backoff: tuning.enrolBackoff,
        maxUnreachable: told || discovery === undefined ? Infinity : MAX_UNREACHABLE_FOUND,
      });
      if (result.kind === 'stopped') break;
      if (result.kind === 'unreachable') {
        // An address we found or remembered went quiet: look for the controller afresh.
        avoidRemembered = true;
        continue;
      }
      bootstrap = result.bootstrap;
      writeBootstrap(paths.bootstrap, bootstrap);
      avoidRemembered = false;
      log.info({ path: paths.bootstrap, controllerFingerprint: bootstrap.controllerFingerprint }, 'saved the bootstrap: the agent reconnects from it after a restart');
    }
  } finally {
    clearInterval(refresher);
    instances?.close();
    await discovery?.close();
  }
  log.info({ hostId }, 'agent stopped');
  return 0;
}

/** The pin for this controller: as configured, or as remembered from enrolling with this same address. */
function pinFor(settings: AgentSettings, bootstrap: Bootstrap | undefined, target: HostPort): string {
  if (settings.fingerprint !== '') return settings.fingerprint;
  return bootstrap !== undefined && bootstrap.controller === formatHostPort(target) ? bootstrap.controllerFingerprint : '';
}

function readInputs(agent: Config['agent']): { cmdline: string | undefined; joinCodeFile: string | undefined } {
  let cmdline: string | undefined;
  try {
    cmdline = readFileSync(agent.cmdline_file, 'utf8');
  } catch {
    cmdline = undefined;
  }
  let joinCodeFile: string | undefined;
  if (agent.join_code_file !== '') {
    try {
      joinCodeFile = readFileSync(agent.join_code_file, 'utf8');
    } catch (err) {
      throw agentErrors.JOIN_CODE_UNREADABLE({ path: agent.join_code_file, reason: (err as Error).message }, { cause: err });
    }
  }
  return { cmdline, joinCodeFile };
}

function sampleHealth(): HealthSample {
  return { load1: loadavg()[0] ?? 0, totalMemoryBytes: totalmem(), freeMemoryBytes: freemem(), uptimeSeconds: uptime() };
}
