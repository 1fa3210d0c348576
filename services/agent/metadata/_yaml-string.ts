// A YAML double-quoted scalar that every YAML reader (PyYAML's 1.1 included)
// reads back as exactly the given text: printable ASCII stays as it is, and
// everything else (line breaks, controls, non-ASCII, U+2028) is escaped, so no
// value can end the scalar, start a new key or be folded.

/** `text` as a YAML double-quoted scalar. Lone surrogates become U+FFFD. */
export function yamlString(text: string): string {
  let out = '"';
  for (const char of text.toWellFormed()) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code <= 0x7e) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
