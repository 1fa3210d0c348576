import { setTimeout as delay } from 'node:timers/promises';
import { type Static, Type } from '@sinclair/typebox';
import { defineMethod, type Method, type MethodContext } from '../../appliance/bus/index.ts';
import type { PluginContext } from '../../appliance/serve/index.ts';
import type { Store } from '../../appliance/store/index.ts';
import { BmcRecords, type StoredBmc } from './bmc-records.ts';
import { type BmcSettings, checkBmcSettings, describeBmc, HOST_ID_PATTERN } from './bmc-settings.ts';
import { bootErrors } from './errors.ts';
import { fenceError } from './fence/fence-error.ts';
import { ipmiDriver, type IpmitoolRunner } from './fence/ipmi-driver.ts';
import { KeyedQueue } from './fence/keyed-queue.ts';
import { type PowerDriver } from './fence/power-driver.ts';
import { redfishDriver, type RedfishTransport } from './fence/redfish-driver.ts';
import { redfishHttpsTransport, type RedfishTlsPolicy } from './fence/redfish-transport.ts';
import { runFence } from './fence/run-fence.ts';
import { runIpmitool } from './fence/run-ipmitool.ts';
import { openSecret, sealSecret } from './fence/sealed-secret.ts';
import { ensureSecretKey } from './fence/secret-key-file.ts';
import { redactSecrets, type SecretValue } from './fence/secret-value.ts';
import { fenceStatusCode, type FenceAction, type FenceResult } from './fence/step-fence.ts';

// Fencing for the controller over the bus: a BMC per host (boot.bmc.set, .get,
// .delete) and power control with fence-agent semantics (boot.power). The
// password comes in once, is sealed at once and never leaves: no answer,
// journal entry or error carries it. Power actions on one host run one at a
// time; each is noted in the appliance journal.

type Severity = Parameters<PluginContext['note']>[1];

const HostId = Type.String({ pattern: HOST_ID_PATTERN, maxLength: 128 });

const SettingsFields = {
  driver: Type.Union([Type.Literal('ipmi'), Type.Literal('redfish')]),
  address: Type.String({ minLength: 1, maxLength: 300, description: 'ipmi: BMC host name or IP; redfish: https://host[:port]' }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'ipmi only; default 623' })),
  username: Type.String({ minLength: 1, maxLength: 64 }),
  cipherSuite: Type.Optional(Type.Integer({ minimum: 0, maximum: 17, description: 'ipmi only: RMCP+ cipher suite; default ipmitool’s' })),
  systemId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'redfish only: member of /redfish/v1/Systems' })),
  tlsFingerprint: Type.Optional(Type.String({ maxLength: 100, description: 'redfish: SHA-256 of the BMC certificate' })),
  tlsCaPem: Type.Optional(Type.String({ maxLength: 16_384, description: 'redfish: PEM of the CA that issued the BMC certificate' })),
};

export const BmcSetSchema = Type.Object({ hostId: HostId, ...SettingsFields, password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

export const BmcViewSchema = Type.Object({ hostId: Type.String(), ...SettingsFields, target: Type.String(), hasPassword: Type.Boolean(), updatedAt: Type.String() }, { additionalProperties: false });

export const PowerParamsSchema = Type.Object(
  {
    hostId: HostId,
    action: Type.Union([Type.Literal('status'), Type.Literal('on'), Type.Literal('off'), Type.Literal('reboot')]),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 300_000, description: 'how long each half may take to reach its power state; default 20 000' })),
  },
  { additionalProperties: false },
);

export const PowerResultSchema = Type.Object(
  {
    hostId: Type.String(),
    action: Type.String(),
    /** unreachable only for status: a BMC that cannot be read is fence-agent status 1. */
    power: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('unreachable')]),
    /** The fence-agent status code: 0 on, 2 off, 1 unreachable. */
    status: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]),
    target: Type.String(),
    tookMs: Type.Integer({ minimum: 0 }),
    warning: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export interface FenceTuning {
  /** Each half of an action, from its first request (FenceOptions.timeoutMs). Default 20 000 ms; a call may ask for its own. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly callTimeoutMs?: number;
  /** ipmitool -N and -R. */
  readonly ipmitoolTimeoutS?: number;
  readonly ipmitoolRetries?: number;
  /** One Redfish exchange. Default 10 000 ms. */
  readonly redfishTimeoutMs?: number;
}

export interface FenceBusDeps {
  readonly store: Store;
  readonly now: () => Date;
  /** PluginContext.note. */
  readonly note: PluginContext['note'];
  /** Where the sealing key lives (made 0600 on first use): <data-dir>/secrets/bmc.key. */
  readonly keyFile: string;
  readonly tuning?: FenceTuning;
  /** Defaults to the ipmitool process; tests may point it elsewhere. */
  readonly runIpmitool?: IpmitoolRunner;
  /** Defaults to redfishHttpsTransport with the BMC's stored TLS trust. */
  readonly redfishTransport?: (tls: RedfishTlsPolicy) => RedfishTransport;
}

/** The verb of an action for messages: "power off", "read the power state of". */
function verb(action: FenceAction): string {
  return action === 'status' ? 'read the power state of' : action === 'reboot' ? 'power cycle' : `power ${action}`;
}

export function fenceBusMethods(deps: FenceBusDeps): Record<string, Method> {
  const records = new BmcRecords(deps.store.database);
  const queue = new KeyedQueue();
  const tuning = deps.tuning ?? {};
  let key: Buffer | undefined;
  const sealingKey = (): Buffer => (key ??= ensureSecretKey(deps.keyFile));

  function driverFor(stored: StoredBmc, password: SecretValue): PowerDriver {
    const s = stored.settings;
    if (s.driver === 'ipmi') {
      const run: IpmitoolRunner = deps.runIpmitool ?? ((argv, options) => runIpmitool(argv, { ...options, timeoutMs: tuning.callTimeoutMs ?? 10_000 }));
      return ipmiDriver(
        { host: s.address, user: s.username, ...(s.port === undefined ? {} : { port: s.port }), ...(s.cipherSuite === undefined ? {} : { cipherSuite: s.cipherSuite }) },
        { password, run, ...(tuning.ipmitoolTimeoutS === undefined ? {} : { timeoutS: tuning.ipmitoolTimeoutS }), ...(tuning.ipmitoolRetries === undefined ? {} : { retries: tuning.ipmitoolRetries }) },
      );
    }
    const tls: RedfishTlsPolicy = { ...(s.tlsFingerprint === undefined ? {} : { fingerprint: s.tlsFingerprint }), ...(s.tlsCaPem === undefined ? {} : { caPem: s.tlsCaPem }) };
    const transport = deps.redfishTransport?.(tls) ?? redfishHttpsTransport({ tls, ...(tuning.redfishTimeoutMs === undefined ? {} : { timeoutMs: tuning.redfishTimeoutMs }) });
    return redfishDriver({ baseUrl: s.address, systemId: s.systemId, user: s.username }, { password, transport });
  }

  async function power(hostId: string, action: FenceAction, ctx: MethodContext, timeoutMs: number | undefined): Promise<Static<typeof PowerResultSchema>> {
    const stored = records.get(hostId);
    if (stored === undefined) throw bootErrors.BMC_NOT_SET({ action: verb(action), host: hostId });
    const password = openSecret(stored.sealedPassword, { key: sealingKey(), context: hostId });
    const driver = driverFor(stored, password);
    const started = Date.now();
    // Once the caller's deadline passes, the clock jumps past every fence deadline
    // and calls and waits end at once, so the state machine finishes (as a
    // timeout) instead of polling for nobody.
    const now = (): number => (ctx.signal.aborted ? Number.MAX_SAFE_INTEGER / 2 : Date.now());
    const { result } = await runFence(action, {
      driver,
      now,
      sleep: (ms) => delay(ms, undefined, { signal: ctx.signal }).catch(() => undefined),
      callSignal: (ms) => AbortSignal.any([AbortSignal.timeout(ms), ctx.signal]),
      timeoutMs: timeoutMs ?? tuning.timeoutMs ?? 20_000,
      ...(tuning.pollMs === undefined ? {} : { pollMs: tuning.pollMs }),
      ...(tuning.callTimeoutMs === undefined ? {} : { callTimeoutMs: tuning.callTimeoutMs }),
    });
    const tookMs = Date.now() - started;
    const clean = (text: string): string => redactSecrets(text, [password]);
    noteResult(hostId, driver.target, result, tookMs, clean);
    if (result.ok) {
      return { hostId, action, power: result.power, status: fenceStatusCode(result), target: driver.target, tookMs, ...(result.warning === undefined ? {} : { warning: clean(result.warning) }) };
    }
    // status answers "unreachable" (fence-agent status 1) rather than failing; refused credentials are an error everywhere.
    if (action === 'status' && result.failure.kind !== 'auth') {
      return { hostId, action, power: 'unreachable', status: 1, target: driver.target, tookMs, reason: clean(result.failure.message) };
    }
    const failure = { ...result, failure: { ...result.failure, message: clean(result.failure.message) } };
    throw fenceError(failure, { host: hostId, bmc: driver.target, timeoutMs: timeoutMs ?? tuning.timeoutMs ?? 20_000 }) ?? new Error('unreachable: a failed fence has an error');
  }

  function noteResult(hostId: string, target: string, result: FenceResult, tookMs: number, clean: (text: string) => string): void {
    const data: Record<string, unknown> = { hostId, action: result.action, bmc: target, ok: result.ok, tookMs };
    if (result.ok) {
      data.power = result.power;
      if (result.warning !== undefined) data.warning = clean(result.warning);
      const severity: Severity = result.warning === undefined ? 'info' : 'warning';
      const said = result.action === 'status' ? `is ${result.power}` : `${result.action} done, power ${result.power}${result.warning === undefined ? '' : ` (${clean(result.warning)})`}`;
      deps.note('boot.power', severity, `Host ${hostId} through ${target}: ${said}`, data);
      return;
    }
    data.failure = result.failure.kind;
    data.reason = clean(result.failure.message);
    // A failed off leaves a host that may still write to shared storage: that is an error, not a warning.
    const severity: Severity = result.action === 'status' ? 'warning' : 'error';
    deps.note('boot.power', severity, `Host ${hostId} through ${target}: ${result.action} failed (${result.failure.kind}: ${clean(result.failure.message)})`, data);
  }

  return {
    'boot.bmc.set': defineMethod({
      description: "Set a host's BMC (IPMI or Redfish) and its password, which is stored sealed and never returned",
      params: BmcSetSchema,
      result: BmcViewSchema,
      handler: (params) => {
        const { hostId, password, ...input } = params;
        const settings = checkBmcSettings(hostId, { ...input, password });
        const sealedPassword = sealSecret(password, { key: sealingKey(), context: hostId });
        const stored: StoredBmc = { hostId, settings, sealedPassword, updatedAt: deps.now().toISOString() };
        deps.store.transaction(() => records.put(stored));
        deps.note('boot.bmc.set', 'info', `Host ${hostId} is fenced through ${describeBmc(settings)} as ${settings.username}`, { hostId, driver: settings.driver, bmc: describeBmc(settings), username: settings.username });
        return view(stored);
      },
    }),
    'boot.bmc.get': defineMethod({
      description: "A host's BMC settings, without the password (hasPassword says one is stored)",
      params: Type.Object({ hostId: HostId }, { additionalProperties: false }),
      result: BmcViewSchema,
      handler: (params) => {
        const stored = records.get(params.hostId);
        if (stored === undefined) throw bootErrors.BMC_NOT_SET({ action: 'show the BMC of', host: params.hostId });
        return view(stored);
      },
    }),
    'boot.bmc.delete': defineMethod({
      description: "Forget a host's BMC settings and sealed password; deleting what is not there is not an error",
      params: Type.Object({ hostId: HostId }, { additionalProperties: false }),
      result: Type.Object({ hostId: Type.String(), deleted: Type.Boolean() }, { additionalProperties: false }),
      handler: (params) => {
        const deleted = deps.store.transaction(() => records.delete(params.hostId));
        if (deleted) deps.note('boot.bmc.delete', 'info', `Host ${params.hostId} has no BMC any more: it cannot be fenced`, { hostId: params.hostId });
        return { hostId: params.hostId, deleted };
      },
    }),
    'boot.power': defineMethod({
      description: 'Power status, on, off or reboot of a host through its BMC, with fence-agent semantics: off is verified by reading back, a timeout is a failure',
      params: PowerParamsSchema,
      result: PowerResultSchema,
      handler: async (params, ctx) => {
        const busy = (): Error => bootErrors.POWER_BUSY({ action: verb(params.action), host: params.hostId });
        return queue.run(params.hostId, () => power(params.hostId, params.action, ctx, params.timeoutMs), { signal: ctx.signal, busy });
      },
    }),
  };
}

function view(stored: StoredBmc): Static<typeof BmcViewSchema> {
  const s: BmcSettings = stored.settings;
  return { hostId: stored.hostId, ...s, target: describeBmc(s), hasPassword: stored.sealedPassword !== '', updatedAt: stored.updatedAt };
}
