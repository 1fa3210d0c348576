import { chosenHost, type ConsoleModel, type FormState, type Screen } from './console-model.ts';
import { homeFooter, homeSections, homeTitle } from './home-screen.ts';
import { composeFrame, line, titleBar, type Frame, type ScreenLine } from './screen-frame.ts';
import { textWidth, wrapText, type Glyphs } from './screen-text.ts';

/** The whole screen for a model. Pure: the same model always draws the same frame. */
export function renderConsole(model: ConsoleModel): Frame {
  const g = model.options.glyphs;
  const size = { cols: model.cols, rows: model.rows };
  const screen = model.screen;
  const page = (title: string, body: readonly ScreenLine[], footer: string, cursor?: { row: number; col: number }): Frame =>
    composeFrame({ title: titleBar(title, homeTitle(model).left, model.cols, g), body, footer, ...(cursor ? { cursor } : {}) }, size, g);
  const wrap = (text: string): ScreenLine[] => wrapText(` ${text}`, model.cols - 1, g).map((l) => line(l));

  switch (screen.kind) {
    case 'home':
    case 'shell':
      return renderHome(model);
    case 'busy':
      return page(screen.title, [line(''), ...wrap(`${screen.title}...`)], 'Please wait');
    case 'confirm':
      return page(screen.title, [line(''), ...screen.lines.flatMap(wrap), line(''), line(` ${screen.title}? Press Y to go ahead, N or Esc to cancel.`, true)], 'Y yes  N no');
    case 'keep-network': {
      const left = model.pendingNetwork === null ? 0 : Math.max(0, Math.ceil((model.pendingNetwork.deadline - model.now) / 1000));
      return page(
        'Keep the network change?',
        [line(''), ...wrap(screen.detail), line(''), line(` Press Y to keep these settings. Without Y they are rolled back in ${left} s.`, true)],
        'Y keep  N roll back now',
      );
    }
    case 'text': {
      const body = screen.lines.flatMap(wrap);
      const room = Math.max(1, model.rows - 3);
      const from = Math.min(screen.scroll, Math.max(0, body.length - room));
      const more = body.length > room ? `  (${from + 1}-${Math.min(body.length, from + room)} of ${body.length})` : '';
      return page(screen.failed ? `${screen.title} (failed)` : screen.title, [line(''), ...body.slice(from, from + room)], `${body.length > room ? 'Up/Down scroll  ' : ''}Enter back${more}`);
    }
    case 'hosts':
      return page('Hosts waiting for approval', hostLines(model, screen, g), 'Up/Down choose  A approve  X reject  Esc back');
    case 'join':
      return page('Join code', joinLines(model).flatMap(wrap), 'R rotate  Esc back');
    case 'power':
      return page('Reboot or power off', [line(''), line('  R  reboot the appliance'), line('  O  power it off'), line(''), ...wrap('You confirm on the next screen.')], 'R reboot  O power off  Esc back');
    case 'form': {
      const { body, cursor } = formLines(screen.form, model.cols, g);
      return page(screen.form.title, body, 'Tab/Down next  Left/Right change  Enter next/apply  Esc cancel', cursor);
    }
  }
}

function renderHome(model: ConsoleModel): Frame {
  const g = model.options.glyphs;
  const { left, right } = homeTitle(model);
  const sections = homeSections(model);
  const room = Math.max(0, model.rows - 2);
  const top = sections.top.slice(0, room);
  const rule = (title: string): ScreenLine => line(`${g.rule.repeat(2)} ${title} ${g.rule.repeat(Math.max(0, model.cols - textWidth(title) - 4))}`);
  // The interfaces get at most four rows; the events whatever is left, at least two when the screen allows.
  let left2 = room - top.length;
  const ifaceRows = Math.max(0, Math.min(sections.interfaces.length, 4, left2 - 4));
  const body: ScreenLine[] = [...top];
  if (left2 >= 2) {
    body.push(rule('Interfaces'), ...sections.interfaces.slice(0, Math.max(1, ifaceRows)));
    left2 = room - body.length;
  }
  if (left2 >= 2) body.push(rule('Recent events (UTC)'), ...sections.events.slice(0, left2 - 1));
  return composeFrame({ title: titleBar(left, right, model.cols, g), body, footer: homeFooter(model) }, { cols: model.cols, rows: model.rows }, g);
}

function hostLines(model: ConsoleModel, screen: Extract<Screen, { kind: 'hosts' }>, g: Glyphs): ScreenLine[] {
  if (model.controller.kind !== 'up') return [line(''), line(' The controller is not available.')];
  const { pending, pendingTotal } = model.controller.overview;
  if (pending.length === 0) return [line(''), line(' No host waits for approval.')];
  const cursor = chosenHost(pending, screen.hostId);
  const rows = pending.map((h, i) => {
    const mark = i === cursor ? g.cursor : ' ';
    const waiting = `${Math.max(0, Math.round((model.now - Date.parse(h.since)) / 60_000))} min`;
    return line(` ${mark} ${h.id.slice(0, 12)}  ${h.name.padEnd(20)} ${(h.addresses[0] ?? '-').padEnd(16)} waits ${waiting}${h.approvedBy ? `, approved by ${h.approvedBy}` : ''}`, i === cursor);
  });
  const more = pendingTotal > pending.length ? [line(` ...and ${pendingTotal - pending.length} more; \`alliance hosts list --state pending\` shows all.`)] : [];
  return [line(''), line('   id            name                 address          '), ...rows, ...more];
}

function joinLines(model: ConsoleModel): string[] {
  if (model.controller.kind !== 'up') return ['', 'The controller is not available.'];
  const current = model.controller.overview.joinCode;
  const lines = ['', 'Hosts and appliances that join this cloud present a join code. The console keeps one code of its own.', ''];
  const until = (c: { expiresAt: string }): string => `${c.expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  const usable = current !== null && current.uses < current.maxUses && Date.parse(current.expiresAt) > model.now;
  if (model.joinCode !== null && current !== null && model.joinCode.tokenId === current.tokenId) {
    lines.push('Join code:', '', `    ${model.joinCode.code}`, '', `${usable ? 'Valid until' : 'NO LONGER VALID: it ended'} ${until(current)}; used ${current.uses} of ${current.maxUses} times.`);
    lines.push('Write it down now: its secret is stored nowhere, and this screen forgets it when you leave.');
  } else if (current !== null) {
    lines.push(`The console code ${current.tokenId} ${usable ? 'is valid until' : 'is NO LONGER VALID: it ended'} ${until(current)}; used ${current.uses} of ${current.maxUses} times.`);
    lines.push('Its secret is stored nowhere, so it cannot be shown again: rotate to get a new code.');
  } else {
    lines.push('There is no console join code yet: press R to make one.');
  }
  return lines;
}

function formLines(form: FormState, cols: number, g: Glyphs): { body: ScreenLine[]; cursor?: { row: number; col: number } } {
  const body: ScreenLine[] = [line(''), ...form.intro.flatMap((t) => wrapText(` ${t}`, cols - 1, g).map((l) => line(l))), line('')];
  let cursor: { row: number; col: number } | undefined;
  const labelWidth = 12;
  form.fields.forEach((f, i) => {
    const focused = i === form.focus;
    const shown = f.kind === 'secret' ? '*'.repeat(f.value.length) : f.kind === 'choice' ? `< ${f.value} >` : f.value;
    const mark = focused ? g.cursor : ' ';
    const text = ` ${mark} ${f.label.padEnd(labelWidth)}${f.disabled ? '(from DHCP)' : shown}`;
    body.push(line(text));
    // +1: the title bar is row 0.
    if (focused && f.kind !== 'choice') cursor = { row: body.length, col: Math.min(cols - 1, textWidth(text)) };
    const problem = form.problems[f.key];
    if (problem !== undefined) body.push(line(`   ${' '.repeat(labelWidth)}! ${problem}`, true));
  });
  return cursor === undefined ? { body } : { body, cursor };
}
