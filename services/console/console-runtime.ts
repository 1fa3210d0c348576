import { execFile } from 'node:child_process';
import { emitKeypressEvents } from 'node:readline';
import { diagnose, formatFindings, gatherNetworkFacts } from '../../appliance/discovery/index.ts';
import { CONSOLE_METHODS, type FirstAdminResult, type HostDecideResult, type JoinCodeRotateResult } from '../../appliance/contracts/index.ts';
import type { ApplianceLink } from './appliance-link.ts';
import { initialModel, RECENT_EVENTS, type ConsoleModel, type ConsoleOptions, type Effect } from './console-model.ts';
import { update, type ConsoleMessage } from './console-update.ts';
import { toKey, type Keypress } from './key-input.ts';
import { defaultRouteInterface, readInterfaces } from './local-facts.ts';
import { renderConsole } from './render-console.ts';
import { frameUpdate, type Frame } from './screen-frame.ts';
import { runShell } from './shell-session.ts';
import { applySystemSettings, readInterfaceNetwork, readSystemForm, startNetworkChange, type NetworkChange } from './system/network-change.ts';

export interface ConsoleRuntimeOptions {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
  readonly link: ApplianceLink;
  readonly console: ConsoleOptions;
  /** Where network, host name, DNS and NTP settings are written ('/etc' on the appliance). */
  readonly etcDir: string;
  readonly networkCheckSeconds: number;
  /** Interfaces the discovery diagnostic looks at; empty for all. */
  readonly discoveryInterfaces: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop. */
  readonly stopRequested: Promise<string>;
}

/** While the appliance answers, status is checked this often (events bring everything else at once); while it does not, a little faster. */
const STATUS_EVERY_UP_MS = 5000;
const STATUS_EVERY_DOWN_MS = 2000;

/**
 * Runs the console until the operator quits or the process is asked to stop:
 * terminal in, frames out, effects run here and answered as messages.
 */
export async function runConsoleRuntime(options: ConsoleRuntimeOptions): Promise<number> {
  const { input, output, link } = options;
  let model: ConsoleModel = initialModel(options.console, { cols: output.columns || 80, rows: output.rows || 24, now: Date.now() });
  let drawn: Frame | null = null;
  let drawPending = false;
  let network: NetworkChange | undefined;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finished = resolve));
  const timers: NodeJS.Timeout[] = [];

  const draw = (): void => {
    drawPending = false;
    if (model.screen.kind === 'shell') return;
    let frame: Frame;
    try {
      frame = renderConsole(model);
    } catch (err) {
      // A bug in a screen must not take the console (and the operator's only way in) with it.
      frame = renderConsole({ ...model, screen: { kind: 'text', title: 'Console error', lines: [`This screen could not be drawn: ${(err as Error).message}. Press Enter.`], scroll: 0, failed: true } });
    }
    output.write(frameUpdate(drawn, frame));
    drawn = frame;
  };
  const dispatch = (message: ConsoleMessage): void => {
    const step = update(model, message);
    model = step.model;
    for (const effect of step.effects) void run(effect);
    if (!drawPending) {
      drawPending = true;
      setImmediate(draw);
    }
  };

  // Status is asked from the probe, from events and from effects at once; only the newest question's answers count.
  let asked = 0;
  /** The appliance process the shown events were read from. */
  let eventsOf: string | undefined;
  const refreshStatus = async (options: { events?: boolean } = {}): Promise<void> => {
    const question = (asked += 1);
    const view = await link.status(Date.now());
    if (question !== asked) return;
    dispatch({ kind: 'appliance', view });
    if (view.kind !== 'up') return;
    const overview = await link.overview();
    if (question !== asked) return;
    dispatch({ kind: 'controller', view: overview });
    // Come up, or come back as another process: the journal has what happened while the console was not following.
    const instance = `${view.status.pid} ${view.status.startedAt}`;
    if (instance !== eventsOf || options.events === true) {
      const events = await link.recentEvents(RECENT_EVENTS);
      if (question !== asked) return;
      dispatch({ kind: 'events', events });
      eventsOf = instance;
    }
  };
  const refreshAll = async (): Promise<void> => {
    dispatch({ kind: 'interfaces', interfaces: readInterfaces() });
    await refreshStatus({ events: true });
  };

  // Every effect ends in a message, so no screen waits forever.
  const run = async (effect: Effect): Promise<void> => {
    try {
      switch (effect.kind) {
        case 'refresh':
          return await refreshAll();
        case 'redraw':
          drawn = null;
          return;
        case 'quit':
          return finished(0);
        case 'decide-host': {
          const answer = await link.call<HostDecideResult>(CONSOLE_METHODS.hostDecide, { hostId: effect.hostId, decision: effect.decision });
          const said = effect.decision === 'approve' ? `Host ${answer.host.name} is approved; it enrols on its next request (within a minute).` : `Host ${answer.host.name} is rejected.`;
          dispatch({ kind: 'result', title: effect.decision === 'approve' ? 'Host approved' : 'Host rejected', lines: [said], failed: false });
          return await refreshStatus();
        }
        case 'rotate-join-code': {
          const answer = await link.call<JoinCodeRotateResult>(CONSOLE_METHODS.joinCodeRotate, {});
          return dispatch({ kind: 'join-code', tokenId: answer.tokenId, code: answer.code, expiresAt: answer.expiresAt });
        }
        case 'create-admin': {
          const answer = await link.call<FirstAdminResult>(CONSOLE_METHODS.firstAdmin, { name: effect.name, password: effect.password });
          dispatch({ kind: 'result', title: 'Cloud admin created', lines: [`${answer.name} can log in now: \`alliance login --user ${answer.name}\` or the API.`], failed: false });
          return await refreshStatus();
        }
        case 'load-form': {
          if (effect.form === 'system') return dispatch({ kind: 'form-loaded', form: 'system', values: { ...readSystemForm({ etcDir: options.etcDir }) } });
          const iface = effect.interfaceName ?? defaultRouteInterface() ?? model.interfaces[0]?.name;
          const values = iface === undefined ? {} : await readInterfaceNetwork(iface);
          return dispatch({ kind: 'form-loaded', form: 'network', values: { ...values } });
        }
        case 'apply-network': {
          network = startNetworkChange(effect.network, { paths: { etcDir: options.etcDir }, checkMs: options.networkCheckSeconds * 1000 });
          const outcome = await network.apply();
          dispatch({ kind: 'interfaces', interfaces: readInterfaces() });
          if (!outcome.ok) network = undefined;
          return dispatch(outcome.ok ? { kind: 'network-applied', ok: true, detail: outcome.detail } : { kind: 'network-applied', ok: false, detail: outcome.reason });
        }
        case 'keep-network': {
          if (network === undefined) return dispatch({ kind: 'result', title: 'Nothing to keep', lines: ['No network change is waiting.'], failed: true });
          await network.keep();
          network = undefined;
          return dispatch({ kind: 'result', title: 'Network settings saved', lines: [`Kept, and written to ${options.etcDir}/systemd/network/ so they hold after a reboot.`], failed: false });
        }
        case 'revert-network': {
          if (network === undefined) return dispatch({ kind: 'result', title: 'Nothing to roll back', lines: ['No network change is waiting.'], failed: true });
          await network.revert();
          network = undefined;
          dispatch({ kind: 'interfaces', interfaces: readInterfaces() });
          return dispatch({ kind: 'result', title: 'Network change rolled back', lines: [`The previous settings are back: ${effect.why}.`], failed: false });
        }
        case 'apply-system': {
          const lines = await applySystemSettings(effect.settings, { paths: { etcDir: options.etcDir } });
          return dispatch({ kind: 'result', title: 'System settings applied', lines, failed: false });
        }
        case 'diagnose': {
          const findings = diagnose(await gatherNetworkFacts(), { interfaces: options.discoveryInterfaces });
          return dispatch({ kind: 'result', title: 'Discovery diagnostic', lines: formatFindings(findings).split('\n'), failed: false });
        }
        case 'open-shell':
          return await shell();
        case 'power': {
          await new Promise<void>((resolve, reject) =>
            execFile('systemctl', [effect.action], { timeout: 15_000 }, (err, _out, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve())),
          );
          return dispatch({ kind: 'result', title: effect.action === 'reboot' ? 'Rebooting' : 'Powering off', lines: ['The system is going down.'], failed: false });
        }
      }
    } catch (err) {
      dispatch({ kind: 'result', title: failureTitle(effect), lines: [(err as Error).message], failed: true });
    }
  };

  const shell = async (): Promise<void> => {
    model = { ...model, screen: { kind: 'shell' } };
    try {
      await runShell({ input, output }, options.env);
    } finally {
      output.write(TERMINAL_RESET);
      drawn = null;
    }
    dispatch({ kind: 'result', title: 'Shell closed', lines: ['Back in the console.'], failed: false });
  };

  // The terminal: raw keys in, frames out, given back as found.
  emitKeypressEvents(input);
  input.setRawMode?.(true);
  input.resume();
  const onKeypress = (text: string | undefined, press: Keypress | undefined): void => {
    const key = toKey(text, press);
    if (key !== null) dispatch({ kind: 'key', key });
  };
  input.on('keypress', onKeypress);
  const onResize = (): void => dispatch({ kind: 'resize', cols: output.columns || 80, rows: output.rows || 24 });
  output.on('resize', onResize);

  timers.push(setInterval(() => dispatch({ kind: 'tick', now: Date.now() }), 1000));
  let probing = false;
  const probe = (): void => {
    if (probing) return;
    probing = true;
    void refreshStatus().finally(() => (probing = false));
  };
  // One probe timer whose pace follows the appliance: slower while it answers.
  let probeTimer: NodeJS.Timeout | undefined;
  const scheduleProbe = (): void => {
    probeTimer = setTimeout(() => {
      probe();
      scheduleProbe();
    }, model.appliance.kind === 'up' ? STATUS_EVERY_UP_MS : STATUS_EVERY_DOWN_MS);
  };
  scheduleProbe();
  timers.push(setInterval(() => dispatch({ kind: 'interfaces', interfaces: readInterfaces() }), 5000));

  let refreshQueued: NodeJS.Timeout | undefined;
  void link
    .follow((_topic, event) => {
      if (event !== null) dispatch({ kind: 'event', event });
      // Several events often come together (a host enrols: pending, state); one refresh serves them.
      if (refreshQueued === undefined) {
        refreshQueued = setTimeout(() => {
          refreshQueued = undefined;
          void refreshStatus();
        }, 150);
      }
    })
    .catch((err: unknown) => {
      const message = `The console no longer follows the appliance's events (${(err as Error).message}); restart the console`;
      dispatch({ kind: 'event', event: { id: -1, at: new Date().toISOString(), severity: 'error', kind: 'console.events', message } });
    });

  void refreshAll();
  draw();
  void options.stopRequested.then(() => finished(0));

  const code = await done;
  // A change nobody kept must not outlive the console (a stop, a lost ssh session): the rollback promise holds either way.
  if (network !== undefined) {
    await network.revert().catch((err: unknown) => output.write(`\r\nCould not roll the unkept network change back: ${(err as Error).message}\r\n`));
    network = undefined;
  }
  for (const t of timers) clearInterval(t);
  clearTimeout(probeTimer);
  if (refreshQueued !== undefined) clearTimeout(refreshQueued);
  input.off('keypress', onKeypress);
  output.off('resize', onResize);
  input.setRawMode?.(false);
  input.pause();
  link.close();
  output.write(`${TERMINAL_RESET}\u001b[2J\u001b[H`);
  return code;
}

/**
 * What a shell's programs may have left set, undone: attributes, character
 * set (G0 ASCII, SI), scroll region, alternate screen, cursor-key and mouse
 * modes, wrap on, cursor shown. A soft reset (DECSTR) alone misses some terminals.
 */
const TERMINAL_RESET = '\u001b[!p\u001b[0m\u001b(B\u000f\u001b[r\u001b[?1049l\u001b[?1l\u001b[?1000l\u001b[?1002l\u001b[?1006l\u001b[?7h\u001b[?25h';

function failureTitle(effect: Effect): string {
  const titles: Partial<Record<Effect['kind'], string>> = {
    'decide-host': 'Host decision',
    'rotate-join-code': 'Join code',
    'create-admin': 'First admin',
    'load-form': 'Reading the settings',
    'apply-network': 'Network change',
    'keep-network': 'Saving the network settings',
    'revert-network': 'Rolling the network back',
    'apply-system': 'System settings',
    diagnose: 'Discovery diagnostic',
    'open-shell': 'Shell',
    power: 'Reboot or power off',
  };
  return titles[effect.kind] ?? 'Console';
}
