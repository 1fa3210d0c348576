import { Value } from '@sinclair/typebox/value';
import { BusClient } from '../../appliance/bus/index.ts';
import { canonicalJson, DesiredResult, HeartbeatResult, HOST_METHODS, type HeartbeatParams, type HostHealth } from '../../appliance/contracts/index.ts';
import { describeError } from '../../appliance/errors/index.ts';
import { sha256Hex } from '../../appliance/identity/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import { backoffDelay } from './backoff-delay.ts';
import type { Bootstrap } from './bootstrap-file.ts';
import { agentErrors } from './errors.ts';
import { afterHeartbeat, classifyCallFailure, INITIAL_SESSION, type SessionState } from './heartbeat-decision.ts';
import { busUrlOf, parseHostPort } from './host-port.ts';
import type { InventoryKeeper } from './inventory-keeper.ts';
import type { InstanceRunner } from './instance-runner.ts';
import { reconcile, type Observed } from './reconcile.ts';
import { sleep } from './_sleep.ts';

export interface HeartbeatLoopOptions {
  /** PKCS#8 PEM of the key the bootstrap's certificate is for. */
  readonly tlsKeyPem: string;
  readonly agentVersion: string;
  readonly addresses: () => readonly string[];
  readonly health: () => HostHealth;
  readonly inventory: InventoryKeeper;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Delays after a failed call; default 1 s doubling to 30 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  readonly callTimeoutMs?: number;
  readonly random?: () => number;
  /** The host runs instances (agent.libvirt_uri is set): each round applies them and reports. */
  readonly instances?: InstanceRunner;
}

export type SessionEnd = { readonly kind: 'stopped' } | { readonly kind: 'refused'; readonly code: string };

/**
 * The bus session with the controller: heartbeats at the interval it asks for,
 * the inventory when it asks or ours changed, desired state when the host's
 * state moves. A controller that is away is waited for (nng redials by
 * itself); only a refusal of this host's credential ends the session.
 */
export async function runHeartbeatLoop(bootstrap: Bootstrap, options: HeartbeatLoopOptions): Promise<SessionEnd> {
  const { log, signal, inventory } = options;
  const controller = parseHostPort(bootstrap.controller);
  if (controller === undefined || bootstrap.credential === null) return { kind: 'refused', code: 'APL_AGENT_CREDENTIAL_REFUSED' };
  const url = busUrlOf(controller.host, bootstrap.busPort);
  const backoff = options.backoff ?? { minMs: 1000, maxMs: 30_000 };
  const timeoutMs = options.callTimeoutMs ?? 5000;
  let state: SessionState = INITIAL_SESSION;
  let observed: Observed = { generation: undefined };
  // The instance pass runs beside the heartbeats (an image download must not make the host look dead), one at a time.
  let instancePass: Promise<void> | undefined;
  let reportedHash: string | undefined;
  let failures = 0;
  let client: BusClient | undefined;
  try {
    while (!signal.aborted) {
      try {
        client ??= await BusClient.connect(url, {
          tls: { cert: bootstrap.certificate, key: options.tlsKeyPem, ca: bootstrap.clusterCa, serverName: bootstrap.busServerName },
          credential: bootstrap.credential,
          timeoutMs,
        });
        const c = client;
        const sendInventoryNow = async (): Promise<void> => {
          const current = inventory.current;
          if (current === undefined) return; // not collected yet: the hash is empty, and the next change says so
          const hash = inventory.hash;
          await c.call(HOST_METHODS.inventory, { inventory: current }, { signal });
          state = { ...state, sentInventoryHash: hash };
          log.info({ inventoryHash: hash }, 'inventory sent to the controller');
        };
        if (state.sentInventoryHash === undefined) await sendInventoryNow();
        const params: HeartbeatParams = { health: options.health(), addresses: [...options.addresses()], agentVersion: options.agentVersion, inventoryHash: inventory.hash };
        const answer = await c.call(HOST_METHODS.heartbeat, params, { signal });
        if (!Value.Check(HeartbeatResult, answer)) throw new TypeError(`host.heartbeat answered ${JSON.stringify(answer).slice(0, 200)}, not a heartbeat result`);
        const step = afterHeartbeat(state, answer, { inventoryHash: inventory.hash, runsInstances: options.instances !== undefined });
        const hostStateBefore = state.hostState;
        if (failures > 0 || state.hostState === undefined) log.info({ url, state: answer.state, intervalSeconds: answer.intervalSeconds }, 'bus session with the controller is up');
        failures = 0;
        state = step.state;
        if (step.reenrol) {
          log.warn({ state: answer.state }, `the controller says this host is ${answer.state}`);
          return { kind: 'refused', code: `host ${answer.state}` };
        }
        if (step.sendInventory) await sendInventoryNow();
        if (step.fetchDesired) {
          const desired = await c.call(HOST_METHODS.desired, {}, { signal });
          if (!Value.Check(DesiredResult, desired)) throw new TypeError(`host.desired answered ${JSON.stringify(desired).slice(0, 200)}, not desired state`);
          const plan = reconcile(desired, observed);
          if (plan.generation !== observed.generation || answer.state !== hostStateBefore) {
            log.info({ generation: plan.generation, state: plan.state, actions: plan.actions.length }, plan.summary);
          }
          if (plan.actions.length === 0) observed = { generation: plan.generation };
          const runner = options.instances;
          if (runner !== undefined && instancePass === undefined) {
            instancePass = (async () => {
              const report = await runner.pass(desired.instances, (method, p) => c.call(method, p, { signal, timeoutMs: Math.max(timeoutMs, 30_000) }));
              // Only a change is sent: each report is a write on the controller.
              const hash = sha256Hex(canonicalJson(report));
              if (hash === reportedHash) return;
              await c.call(HOST_METHODS.instances, report, { signal });
              reportedHash = hash;
            })()
              .catch((err: unknown) => {
                if (!signal.aborted) log.warn({ err: describeError(err) }, 'instance pass failed; the next round tries again');
              })
              .finally(() => (instancePass = undefined));
          }
        }
        if (!(await sleep(step.nextInMs, signal))) break;
      } catch (err) {
        if (signal.aborted) break;
        const kind = classifyCallFailure(err);
        if (kind === 'refused') {
          const code = (err as { code: string }).code;
          const e = agentErrors.CREDENTIAL_REFUSED({ code, hostId: bootstrap.hostId });
          log.warn({ code: e.code, refusal: code }, e.message);
          return { kind: 'refused', code };
        }
        const ms = backoffDelay(failures, { ...backoff, random: options.random?.() ?? 0.5 });
        const e = agentErrors.SESSION_LOST({ url, reason: describeError(err), retryInS: Math.round(ms / 100) / 10 });
        // The first failure of an outage is news; the rest of it is not.
        const say = failures === 0 ? log.warn.bind(log) : log.debug.bind(log);
        say({ code: e.code, cause: (err as { code?: string }).code, kind }, e.message);
        failures += 1;
        // After an outage, fetch desired state again: it may have moved meanwhile.
        state = { ...state, hostState: undefined };
        if (!(await sleep(ms, signal))) break;
      }
    }
    return { kind: 'stopped' };
  } finally {
    await instancePass;
    client?.close();
  }
}
