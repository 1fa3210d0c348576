import type { FormField, FormState } from './console-model.ts';
import type { Key } from './key-input.ts';

// The console's three forms and how keys edit them. Pure: validation of what
// is typed lives in system/ (network, system settings) and in the controller
// (the admin's password policy).

/** Typed characters a field takes: a password as long as the controller allows, other fields far more than any valid value. */
const MAX_TEXT = 200;
const MAX_SECRET = 1024;

export function networkForm(values: Readonly<Record<string, string>>, interfaces: readonly string[]): FormState {
  const mode = values.mode === 'dhcp' ? 'dhcp' : 'static';
  return withModeRule({
    id: 'network',
    title: 'Management network',
    intro: ['The address operators and hosts reach this appliance on. A change that loses', 'the gateway is rolled back, and you confirm it before it is saved.'],
    fields: [
      { key: 'interface', label: 'Interface', kind: 'choice', value: values.interface ?? interfaces[0] ?? '', choices: interfaces },
      { key: 'mode', label: 'Mode', kind: 'choice', value: mode, choices: ['static', 'dhcp'] },
      { key: 'address', label: 'Address', kind: 'text', value: values.address ?? '' },
      { key: 'gateway', label: 'Gateway', kind: 'text', value: values.gateway ?? '' },
      { key: 'dns', label: 'DNS', kind: 'text', value: values.dns ?? '' },
    ],
    focus: 0,
    problems: {},
  });
}

export function systemForm(values: Readonly<Record<string, string>>): FormState {
  return {
    id: 'system',
    title: 'Host name, DNS and time',
    intro: ['DNS and NTP servers are comma separated; leave NTP empty for the defaults.'],
    fields: [
      { key: 'hostname', label: 'Host name', kind: 'text', value: values.hostname ?? '' },
      { key: 'dns', label: 'DNS', kind: 'text', value: values.dns ?? '' },
      { key: 'ntp', label: 'NTP', kind: 'text', value: values.ntp ?? '' },
    ],
    focus: 0,
    problems: {},
  };
}

export function adminForm(): FormState {
  return {
    id: 'admin',
    title: 'First cloud admin',
    intro: ['Nobody can log in until a cloud admin exists. Choose the name and password', 'of the first one; manage the others with `alliance users` later.'],
    fields: [
      { key: 'name', label: 'User name', kind: 'text', value: 'admin' },
      { key: 'password', label: 'Password', kind: 'secret', value: '' },
      { key: 'repeat', label: 'Repeat', kind: 'secret', value: '' },
    ],
    focus: 1,
    problems: {},
  };
}

export function formValues(form: FormState): Record<string, string> {
  return Object.fromEntries(form.fields.map((f) => [f.key, f.value]));
}

export type FormStep = { readonly form: FormState; readonly submit: boolean };

/** One key applied to a form; `submit` when Enter is pressed on the last field that can be edited. */
export function editForm(form: FormState, key: Key): FormStep {
  const field = form.fields[form.focus];
  if (field === undefined) return { form, submit: false };
  const enabled = form.fields.map((f, i) => (f.disabled ? -1 : i)).filter((i) => i >= 0);
  const move = (delta: number): FormState => {
    const at = enabled.indexOf(form.focus);
    const next = enabled[Math.min(enabled.length - 1, Math.max(0, at + delta))] ?? form.focus;
    return { ...form, focus: next };
  };
  switch (key.name) {
    case 'tab':
      return { form: move(key.shift ? -1 : 1), submit: false };
    case 'down':
      return { form: move(1), submit: false };
    case 'up':
      return { form: move(-1), submit: false };
    case 'enter':
      return form.focus === enabled[enabled.length - 1] ? { form, submit: true } : { form: move(1), submit: false };
    case 'left':
    case 'right':
      return field.kind === 'choice' ? { form: setValue(form, cycle(field, key.name === 'left' ? -1 : 1)), submit: false } : { form, submit: false };
    case 'backspace':
      return field.kind === 'choice' ? { form, submit: false } : { form: setValue(form, field.value.slice(0, -1)), submit: false };
    case 'char': {
      if (key.ctrl && key.text === 'u' && field.kind !== 'choice') return { form: setValue(form, ''), submit: false };
      if (key.ctrl || key.text === undefined) return { form, submit: false };
      if (field.kind === 'choice') return key.text === ' ' ? { form: setValue(form, cycle(field, 1)), submit: false } : { form, submit: false };
      const limit = field.kind === 'secret' ? MAX_SECRET : MAX_TEXT;
      // Refused whole rather than cut: a pasted passphrase cut short would be a different password.
      if (field.value.length + key.text.length > limit) return { form: { ...form, problems: { ...form.problems, [field.key]: `at most ${limit} characters` } }, submit: false };
      return { form: setValue(form, field.value + key.text), submit: false };
    }
    default:
      return { form, submit: false };
  }
}

function cycle(field: FormField, delta: number): string {
  const choices = field.choices ?? [];
  if (choices.length === 0) return field.value;
  const at = choices.indexOf(field.value);
  return choices[(at + delta + choices.length) % choices.length] ?? field.value;
}

function setValue(form: FormState, value: string): FormState {
  const fields = form.fields.map((f, i) => (i === form.focus ? { ...f, value } : f));
  const { [form.fields[form.focus]?.key ?? '']: _fixed, ...problems } = form.problems;
  return withModeRule({ ...form, fields, problems });
}

/** DHCP brings its own address, gateway and DNS: those fields are shown but not edited. */
function withModeRule(form: FormState): FormState {
  if (form.id !== 'network') return form;
  const dhcp = form.fields.find((f) => f.key === 'mode')?.value === 'dhcp';
  return { ...form, fields: form.fields.map((f) => (['address', 'gateway', 'dns'].includes(f.key) ? { ...f, disabled: dhcp } : f)) };
}
