import { fitText, textWidth, type Glyphs } from './screen-text.ts';

/** One row of a screen; inverse video is the one emphasis every terminal has, colour or not. */
export interface ScreenLine {
  readonly text: string;
  readonly inverse?: boolean;
}

/** A whole screen, exactly rows × cols, and where the terminal cursor goes (hidden when absent). */
export interface Frame {
  readonly cols: number;
  readonly rows: number;
  readonly lines: readonly ScreenLine[];
  readonly cursor?: { readonly row: number; readonly col: number };
}

export function line(text: string, inverse = false): ScreenLine {
  return inverse ? { text, inverse } : { text };
}

/** A title bar with text at both ends, cut to fit. */
export function titleBar(left: string, right: string, cols: number, glyphs: Glyphs): ScreenLine {
  const r = right === '' ? '' : ` ${right} `;
  const l = fitText(` ${left}`, Math.max(0, cols - textWidth(r)), glyphs);
  return { text: l + r, inverse: true };
}

/** Title, body and footer in exactly rows lines of cols columns; a body too long loses its end. */
export function composeFrame(parts: { title: ScreenLine; body: readonly ScreenLine[]; footer: string; cursor?: { row: number; col: number } }, size: { cols: number; rows: number }, glyphs: Glyphs): Frame {
  const { cols, rows } = size;
  const room = Math.max(0, rows - 2);
  const body = parts.body.slice(0, room);
  const lines: ScreenLine[] = [parts.title, ...body];
  while (lines.length < rows - 1) lines.push({ text: '' });
  if (rows > 1) lines.push({ text: ` ${parts.footer}`, inverse: true });
  const fitted = lines.slice(0, rows).map((l) => (l.inverse ? { text: fitText(l.text, cols, glyphs), inverse: true } : { text: fitText(l.text, cols, glyphs) }));
  const cursor = parts.cursor !== undefined && parts.cursor.row < rows && parts.cursor.col < cols ? parts.cursor : undefined;
  return cursor === undefined ? { cols, rows, lines: fitted } : { cols, rows, lines: fitted, cursor };
}

const ESC = '\u001b[';

/**
 * The bytes that turn the terminal from `previous` into `next`: only changed
 * rows are rewritten (an 80x24 redraw is about 2 KB, a sixth of a second at
 * 115200 baud), everything when the size changed or nothing was drawn yet.
 */
export function frameUpdate(previous: Frame | null, next: Frame): string {
  const full = previous === null || previous.cols !== next.cols || previous.rows !== next.rows;
  let out = full ? `${ESC}0m${ESC}2J` : '';
  out += `${ESC}?25l`;
  next.lines.forEach((l, row) => {
    const before = full ? undefined : previous.lines[row];
    if (before !== undefined && before.text === l.text && (before.inverse ?? false) === (l.inverse ?? false)) return;
    // The last column is left alone: writing it makes some terminals wrap and scroll.
    const text = l.text.length > 0 ? trimLastColumn(l.text, next.cols) : '';
    out += `${ESC}${row + 1};1H${l.inverse ? `${ESC}7m` : ''}${text}${l.inverse ? `${ESC}0m` : ''}${ESC}K`;
  });
  if (next.cursor !== undefined) out += `${ESC}${next.cursor.row + 1};${next.cursor.col + 1}H${ESC}?25h`;
  return out;
}

function trimLastColumn(text: string, cols: number): string {
  if (textWidth(text) < cols) return text;
  let out = '';
  for (const ch of text) {
    if (textWidth(out + ch) > cols - 1) break;
    out += ch;
  }
  return out;
}
