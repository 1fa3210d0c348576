import stringWidth from 'string-width';

/** The characters the console draws with: UTF-8 for tty1 and modern terminals, ASCII for serial lines. */
export interface Glyphs {
  readonly charset: 'utf8' | 'ascii';
  readonly rule: string;
  readonly heavyRule: string;
  readonly cursor: string;
  readonly bullet: string;
  readonly ellipsis: string;
  readonly arrow: string;
}

export const UTF8_GLYPHS: Glyphs = { charset: 'utf8', rule: '─', heavyRule: '═', cursor: '▶', bullet: '•', ellipsis: '…', arrow: '→' };
export const ASCII_GLYPHS: Glyphs = { charset: 'ascii', rule: '-', heavyRule: '=', cursor: '>', bullet: '*', ellipsis: '~', arrow: '->' };

/**
 * UTF-8 only when the locale says so and the terminal is not a serial-era one:
 * a VT220 on ttyS0 shows box-drawing bytes as garbage.
 */
export function glyphsFor(env: Readonly<Record<string, string | undefined>>, forceAscii: boolean): Glyphs {
  if (forceAscii) return ASCII_GLYPHS;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  const term = env.TERM ?? '';
  const serial = term === '' || term === 'dumb' || /^vt(52|100|102|220)/.test(term);
  return /utf-?8/i.test(locale) && !serial ? UTF8_GLYPHS : ASCII_GLYPHS;
}

// C0/C1 controls and DEL: a host name or event message with an escape in it must not drive the operator's terminal.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from the appliance made safe to draw: controls become spaces, and in ASCII everything else outside ASCII becomes '?'. */
export function cleanText(text: string, glyphs: Glyphs): string {
  const safe = text.replace(CONTROLS, ' ');
  return glyphs.charset === 'ascii' ? safe.replace(/[^\x20-\x7e]/gu, '?') : safe;
}

/** Columns the text takes on screen (wide characters count two). */
export function textWidth(text: string): number {
  return stringWidth(text);
}

const segmenter = new Intl.Segmenter();

/** Exactly `width` columns: cut with an ellipsis when too long, padded with spaces when short. */
export function fitText(text: string, width: number, glyphs: Glyphs): string {
  if (width <= 0) return '';
  const clean = cleanText(text, glyphs);
  const full = textWidth(clean);
  if (full <= width) return clean + ' '.repeat(width - full);
  const room = width - textWidth(glyphs.ellipsis);
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(clean)) {
    const w = textWidth(segment);
    if (used + w > room) break;
    out += segment;
    used += w;
  }
  out += glyphs.ellipsis;
  used += textWidth(glyphs.ellipsis);
  return out + ' '.repeat(Math.max(0, width - used));
}

/** Words wrapped to `width` columns; a word longer than a line is cut across lines. */
export function wrapText(text: string, width: number, glyphs: Glyphs): string[] {
  return text.split(/\r?\n/).flatMap((paragraph) => wrapParagraph(cleanText(paragraph, glyphs), width));
}

function wrapParagraph(paragraph: string, width: number): string[] {
  const indent = /^ */.exec(paragraph)?.[0] ?? '';
  const words = paragraph.trim().split(/ +/).filter((w) => w !== '');
  if (words.length === 0) return [''];
  const lines: string[] = [];
  let line = indent;
  for (let word of words) {
    while (textWidth(word) > width - indent.length && width - indent.length > 0) {
      if (line.trim() !== '') lines.push(line);
      const cut = cutAt(word, width - indent.length);
      lines.push(indent + cut);
      word = word.slice(cut.length);
      line = indent;
    }
    if (word === '') continue;
    const next = line.trim() === '' ? indent + word : `${line} ${word}`;
    if (textWidth(next) > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = next;
    }
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}

function cutAt(word: string, width: number): string {
  let out = '';
  for (const { segment } of segmenter.segment(word)) {
    if (textWidth(out + segment) > width) break;
    out += segment;
  }
  return out;
}
