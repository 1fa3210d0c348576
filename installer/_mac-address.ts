/** 52:54:00:12:34:56 (any case, - or : between bytes) to lower case with colons, or undefined. */
export function normaliseMac(value: string): string | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(value.trim());
  return m ? m.slice(1).join(':').toLowerCase() : undefined;
}
