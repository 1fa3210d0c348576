import { type NetworkForm, type SystemForm, validateNetwork, validateSystem } from '../../appliance/contracts/index.ts';
import { adminForm, editForm, formValues, networkForm, systemForm } from './console-forms.ts';
import { RECENT_EVENTS, type ApplianceDown, type ApplianceView, type ConsoleModel, type ControllerView, type Effect, type EventView, type FormState, type InterfaceView, type Screen, chosenHost } from './console-model.ts';
import type { Key } from './key-input.ts';

/** What reaches the console: keys, the clock, the terminal size, and the answers of its effects. */
export type ConsoleMessage =
  | { readonly kind: 'key'; readonly key: Key }
  | { readonly kind: 'tick'; readonly now: number }
  | { readonly kind: 'resize'; readonly cols: number; readonly rows: number }
  | { readonly kind: 'appliance'; readonly view: ApplianceView }
  | { readonly kind: 'controller'; readonly view: ControllerView }
  | { readonly kind: 'events'; readonly events: readonly EventView[] }
  | { readonly kind: 'event'; readonly event: EventView }
  | { readonly kind: 'interfaces'; readonly interfaces: readonly InterfaceView[] }
  | { readonly kind: 'form-loaded'; readonly form: 'network' | 'system'; readonly values: Readonly<Record<string, string>> }
  | { readonly kind: 'result'; readonly title: string; readonly lines: readonly string[]; readonly failed: boolean }
  | { readonly kind: 'network-applied'; readonly ok: boolean; readonly detail: string }
  | { readonly kind: 'join-code'; readonly tokenId: string; readonly code: string; readonly expiresAt: string };

export interface ConsoleStep {
  readonly model: ConsoleModel;
  readonly effects: readonly Effect[];
}

const HOME: Screen = { kind: 'home' };

const DOWN_REASON: Readonly<Record<ApplianceDown['what'], string>> = {
  'not-initialised': 'the appliance is not initialised',
  'data-not-mounted': 'the data partition is not mounted',
  'not-running': 'the appliance is not running',
  'not-answering': 'the appliance does not answer',
  refused: 'the appliance refused the console',
};

/** The console's one decision function: a message in, the next model and what to do out. Pure. */
export function update(model: ConsoleModel, message: ConsoleMessage): ConsoleStep {
  switch (message.kind) {
    case 'tick':
      return onTick({ ...model, now: message.now });
    case 'resize':
      return same({ ...model, cols: message.cols, rows: message.rows });
    case 'appliance':
      return same({ ...model, appliance: message.view, ...(message.view.kind === 'down' ? { controller: { kind: 'down', reason: DOWN_REASON[message.view.down.what] } as const } : {}) });
    case 'controller':
      return same({ ...model, controller: message.view });
    case 'events':
      return same({ ...model, events: message.events.slice(0, RECENT_EVENTS) });
    case 'event':
      return same({ ...model, events: [message.event, ...model.events.filter((e) => e.id !== message.event.id)].slice(0, RECENT_EVENTS) });
    case 'interfaces':
      return same({ ...model, interfaces: message.interfaces });
    case 'form-loaded':
      if (model.screen.kind !== 'busy') return same(model);
      return same({
        ...model,
        screen: { kind: 'form', form: message.form === 'network' ? networkForm(message.values, model.interfaces.map((i) => i.name)) : systemForm(message.values) },
      });
    case 'result':
      return same({ ...model, screen: { kind: 'text', title: message.title, lines: message.lines, scroll: 0, failed: message.failed } });
    case 'network-applied':
      if (!message.ok) return same({ ...model, screen: { kind: 'text', title: 'Network change not kept', lines: [message.detail], scroll: 0, failed: true } });
      return same({ ...model, pendingNetwork: { deadline: model.now + model.options.confirmSeconds * 1000 }, screen: { kind: 'keep-network', detail: message.detail } });
    case 'join-code':
      return { model: { ...model, joinCode: { tokenId: message.tokenId, code: message.code, expiresAt: message.expiresAt }, screen: { kind: 'join' } }, effects: [{ kind: 'refresh' }] };
    case 'key':
      return onKey(model, message.key);
  }
}

function same(model: ConsoleModel): ConsoleStep {
  return { model, effects: [] };
}

function onTick(model: ConsoleModel): ConsoleStep {
  if (model.pendingNetwork !== null && model.now >= model.pendingNetwork.deadline) {
    return busy({ ...model, pendingNetwork: null }, 'Rolling the network change back', { kind: 'revert-network', why: `it was not kept within ${model.options.confirmSeconds} s` });
  }
  return same(model);
}

function busy(model: ConsoleModel, title: string, effect: Effect): ConsoleStep {
  return { model: { ...model, screen: { kind: 'busy', title } }, effects: [effect] };
}

function go(model: ConsoleModel, screen: Screen): ConsoleStep {
  return same({ ...model, screen });
}

const isChar = (key: Key, ...chars: string[]): boolean => key.name === 'char' && !key.ctrl && key.text !== undefined && chars.includes(key.text.toLowerCase());
const isBack = (key: Key): boolean => key.name === 'escape' || (key.name === 'char' && key.ctrl === true && key.text === 'c');

function onKey(model: ConsoleModel, key: Key): ConsoleStep {
  const screen = model.screen;
  // Ctrl-L, as everywhere: draw everything again (a kernel message on the serial line has written over the screen).
  if (key.name === 'char' && key.ctrl && key.text === 'l' && screen.kind !== 'shell') return { model, effects: [{ kind: 'redraw' }, { kind: 'refresh' }] };
  switch (screen.kind) {
    case 'home':
      return onHomeKey(model, key);
    case 'busy':
    case 'shell':
      // Whatever runs answers with a message; keys wait.
      return same(model);
    case 'confirm':
      if (isChar(key, 'y')) return busy(model, screen.busy, screen.yes);
      return isChar(key, 'n') || isBack(key) || key.name === 'enter' ? go(model, screen.back) : same(model);
    case 'keep-network':
      if (isChar(key, 'y')) return busy({ ...model, pendingNetwork: null }, 'Saving the network settings', { kind: 'keep-network' });
      if (isChar(key, 'n') || isBack(key)) return busy({ ...model, pendingNetwork: null }, 'Rolling the network change back', { kind: 'revert-network', why: 'you chose not to keep it' });
      return same(model);
    case 'text':
      if (key.name === 'up' || key.name === 'down' || key.name === 'pageup' || key.name === 'pagedown') {
        const step = key.name === 'up' ? -1 : key.name === 'down' ? 1 : key.name === 'pageup' ? -10 : 10;
        return go(model, { ...screen, scroll: Math.max(0, Math.min(screen.lines.length - 1, screen.scroll + step)) });
      }
      return key.name === 'enter' || isBack(key) || isChar(key, 'q') ? go(model, HOME) : same(model);
    case 'hosts':
      return onHostsKey(model, screen.hostId, key);
    case 'join':
      if (isChar(key, 'r')) {
        return go(model, {
          kind: 'confirm',
          title: 'Rotate the join code',
          lines: ['A new join code replaces the console one; machines still holding the old code can no longer join. Codes made with `alliance join-tokens` stay valid.'],
          yes: { kind: 'rotate-join-code' },
          busy: 'Making a new join code',
          back: screen,
        });
      }
      return isBack(key) || key.name === 'enter' ? go({ ...model, joinCode: null }, HOME) : same(model);
    case 'power':
      if (isChar(key, 'r')) return go(model, confirmPower('reboot', screen));
      if (isChar(key, 'o')) return go(model, confirmPower('poweroff', screen));
      return isBack(key) ? go(model, HOME) : same(model);
    case 'form':
      return onFormKey(model, screen.form, key);
  }
}

function onHomeKey(model: ConsoleModel, key: Key): ConsoleStep {
  if (key.name === 'char' && key.ctrl && key.text === 'c') return { model, effects: [{ kind: 'quit' }] };
  if (key.name !== 'char' || key.ctrl || key.text === undefined) return same(model);
  switch (key.text.toLowerCase()) {
    case 'n':
      return busy(model, 'Reading the network settings', { kind: 'load-form', form: 'network' });
    case 's':
      return busy(model, 'Reading the system settings', { kind: 'load-form', form: 'system' });
    case 'd':
      return busy(model, 'Checking the network for discovery (a few seconds)', { kind: 'diagnose' });
    case 'p':
      return go(model, { kind: 'power' });
    case '!':
      return go(model, {
        kind: 'confirm',
        title: 'Open a shell',
        lines: ["A root shell on this appliance. What you type there runs as root, outside the appliance's checks. Leave it with `exit` to come back here."],
        yes: { kind: 'open-shell' },
        busy: 'Opening a shell',
        back: HOME,
      });
    case 'r':
      return { model, effects: [{ kind: 'refresh' }] };
    case 'h':
      return needsController(model, 'Approving hosts') ?? go(model, { kind: 'hosts', hostId: model.controller.kind === 'up' ? (model.controller.overview.pending[0]?.id ?? null) : null });
    case 'j':
      return needsController(model, 'The join code') ?? go(model, { kind: 'join' });
    case 'a': {
      const unavailable = needsController(model, 'Setting the first admin');
      if (unavailable) return unavailable;
      if (model.controller.kind === 'up' && model.controller.overview.admins > 0) {
        return go(model, {
          kind: 'text',
          title: 'Cloud admin',
          lines: [`${model.controller.overview.admins} cloud admin(s) exist already. Manage users with \`alliance users\` or the API; the console sets only the first one.`],
          scroll: 0,
          failed: false,
        });
      }
      return go(model, { kind: 'form', form: adminForm() });
    }
    default:
      return same(model);
  }
}

function needsController(model: ConsoleModel, what: string): ConsoleStep | undefined {
  if (model.controller.kind === 'up') return undefined;
  const why = model.controller.kind === 'down' ? model.controller.reason : 'the console has not reached it yet';
  return go(model, { kind: 'text', title: 'The controller is not available', lines: [`${what} needs the controller: ${why}.`, 'The home screen says what to do; this works again as soon as it answers.'], scroll: 0, failed: true });
}

function onHostsKey(model: ConsoleModel, hostId: string | null, key: Key): ConsoleStep {
  const pending = model.controller.kind === 'up' ? model.controller.overview.pending : [];
  const at = chosenHost(pending, hostId);
  if (key.name === 'up' || key.name === 'down') {
    const next = pending[Math.max(0, Math.min(pending.length - 1, at + (key.name === 'up' ? -1 : 1)))];
    return go(model, { kind: 'hosts', hostId: next?.id ?? null });
  }
  if (isBack(key)) return go(model, HOME);
  // A or X act on the host the operator sees chosen, by id; one that has just left the list is not replaced by its neighbour.
  const host = pending.find((h) => h.id === hostId);
  if (host === undefined) return pending.length > 0 ? go(model, { kind: 'hosts', hostId: pending[0]?.id ?? null }) : same(model);
  if (isChar(key, 'a')) return busy(model, `Approving ${host.name}`, { kind: 'decide-host', hostId: host.id, name: host.name, decision: 'approve' });
  if (isChar(key, 'x')) {
    return go(model, {
      kind: 'confirm',
      title: `Reject ${host.name}`,
      lines: [`Host ${host.name} (${host.id.slice(0, 12)}) is turned away; its requests are refused until an operator approves it after all.`],
      yes: { kind: 'decide-host', hostId: host.id, name: host.name, decision: 'reject' },
      busy: `Rejecting ${host.name}`,
      back: { kind: 'hosts', hostId: host.id },
    });
  }
  return same(model);
}

function confirmPower(action: 'reboot' | 'poweroff', back: Screen): Screen {
  const word = action === 'reboot' ? 'Reboot' : 'Power off';
  return {
    kind: 'confirm',
    title: `${word} the appliance`,
    lines: [
      action === 'reboot'
        ? "The appliance restarts; its API and the hosts' connection to it are gone for a minute or two. Running instances on hosts keep running."
        : 'The machine switches off; someone must power it on again at the machine or its BMC. Running instances on hosts keep running.',
    ],
    yes: { kind: 'power', action },
    busy: `${word}: asking the system`,
    back,
  };
}

function onFormKey(model: ConsoleModel, form: FormState, key: Key): ConsoleStep {
  if (isBack(key)) return go(model, HOME);
  const step = editForm(form, key);
  const chosen = (f: FormState): string | undefined => f.fields.find((x) => x.key === 'interface')?.value;
  if (form.id === 'network' && chosen(step.form) !== chosen(form)) {
    // Another interface: start from its own live settings, not the last one's.
    return busy(model, 'Reading the network settings', { kind: 'load-form', form: 'network', interfaceName: chosen(step.form) ?? '' });
  }
  if (!step.submit) return go(model, { kind: 'form', form: step.form });
  const values = formValues(step.form);
  switch (form.id) {
    case 'network': {
      const checked = validateNetwork(values as unknown as NetworkForm, { interfaces: model.interfaces.map((i) => i.name) });
      if (!checked.ok) return go(model, { kind: 'form', form: withProblems(step.form, checked.problems) });
      const net = checked.value;
      const describe =
        net.mode === 'dhcp'
          ? [`${net.interface} takes its address from DHCP.`]
          : [`${net.interface} gets ${net.address}/${net.prefix}${net.gateway ? ` via ${net.gateway}` : ' with no gateway'}${net.dns.length > 0 ? `, DNS ${net.dns.join(', ')}` : ''}.`];
      return go(model, {
        kind: 'confirm',
        title: 'Apply the network change',
        lines: [
          ...describe,
          `Connections to the old address drop. If the gateway does not answer, the change is rolled back at once; otherwise you have ${model.options.confirmSeconds} s to keep it.`,
        ],
        yes: { kind: 'apply-network', network: net },
        busy: `Applying and checking the gateway`,
        back: { kind: 'form', form: step.form },
      });
    }
    case 'system': {
      const checked = validateSystem(values as unknown as SystemForm);
      if (!checked.ok) return go(model, { kind: 'form', form: withProblems(step.form, checked.problems) });
      const s = checked.value;
      return go(model, {
        kind: 'confirm',
        title: 'Apply the system settings',
        lines: [`Host name ${s.hostname}; DNS ${s.dns.length > 0 ? s.dns.join(', ') : 'unchanged'}; NTP ${s.ntp.length > 0 ? s.ntp.join(', ') : 'the defaults'}.`],
        yes: { kind: 'apply-system', settings: s },
        busy: 'Applying the system settings',
        back: { kind: 'form', form: step.form },
      });
    }
    case 'admin': {
      const problems: Record<string, string> = {};
      if (values.name === undefined || values.name.trim() === '') problems.name = 'a user name is needed';
      if ((values.password ?? '') === '') problems.password = 'a password is needed';
      else if (values.password !== values.repeat) problems.repeat = 'the two passwords differ';
      if (Object.keys(problems).length > 0) return go(model, { kind: 'form', form: withProblems(step.form, problems) });
      return busy(model, 'Creating the first cloud admin', { kind: 'create-admin', name: (values.name ?? '').trim(), password: values.password ?? '' });
    }
  }
}

/** The problems beside their fields, and the cursor on the first of them. */
function withProblems(form: FormState, problems: Readonly<Record<string, string | undefined>>): FormState {
  const clean = Object.fromEntries(Object.entries(problems).filter((e): e is [string, string] => e[1] !== undefined));
  const first = form.fields.findIndex((f) => clean[f.key] !== undefined);
  return { ...form, problems: clean, focus: first >= 0 ? first : form.focus };
}
