/** A key as the console's update() sees it. */
export interface Key {
  /** 'char' for printable text; otherwise up, down, left, right, enter, escape, tab, backspace, pageup, pagedown, home, end, delete. */
  readonly name: string;
  readonly text?: string;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
}

/** What node:readline's keypress event hands over. */
export interface Keypress {
  readonly name?: string | undefined;
  readonly ctrl?: boolean | undefined;
  readonly shift?: boolean | undefined;
  readonly meta?: boolean | undefined;
  readonly sequence?: string | undefined;
}

const NAMED = new Set(['up', 'down', 'left', 'right', 'enter', 'return', 'escape', 'tab', 'backspace', 'pageup', 'pagedown', 'home', 'end', 'delete']);

/**
 * readline's keypress (str, key) to a Key, or null for what the console
 * ignores (function keys, mouse reports). Serial terminals send CR for Enter and DEL or BS for backspace.
 */
export function toKey(text: string | undefined, press: Keypress | undefined): Key | null {
  const name = press?.name;
  if (name !== undefined && NAMED.has(name)) {
    const normal = name === 'return' ? 'enter' : name;
    return { name: normal, ...(press?.shift ? { shift: true } : {}), ...(press?.ctrl ? { ctrl: true } : {}) };
  }
  if (press?.ctrl && name !== undefined && /^[a-z]$/.test(name)) return { name: 'char', text: name, ctrl: true };
  if (text === '\b' || text === '\u007f') return { name: 'backspace' };
  if (text !== undefined && text.length > 0 && !press?.meta && !/[\u0000-\u001f\u007f]/.test(text)) return { name: 'char', text };
  return null;
}
