import { rdataKey, sameName, sameRecord, type MdnsRecord } from './records.ts';

// The responder's decisions (RFC 6762), free of sockets and clocks.

export interface MdnsQuestion {
  readonly name: string;
  readonly type: string;
}

export interface Reply {
  readonly answers: MdnsRecord[];
  readonly additionals: MdnsRecord[];
}

/**
 * What to answer to a query: our records that match a question, less those the
 * asker already holds with at least half their TTL left (known-answer
 * suppression, §7.1), plus what the asker will need next (RFC 6763 §12).
 */
export function replyTo(questions: readonly MdnsQuestion[], knownAnswers: readonly MdnsRecord[], own: readonly MdnsRecord[]): Reply {
  const known = (r: MdnsRecord) => knownAnswers.some((k) => sameRecord(k, r) && k.ttl >= r.ttl / 2);
  const answers: MdnsRecord[] = [];
  for (const q of questions) {
    for (const r of own) {
      if (!sameName(q.name, r.name) || (q.type !== 'ANY' && q.type !== r.type)) continue;
      if (!answers.includes(r) && !known(r)) answers.push(r);
    }
  }
  const additionals: MdnsRecord[] = [];
  const add = (r: MdnsRecord) => {
    if (!answers.includes(r) && !additionals.includes(r) && !known(r)) additionals.push(r);
  };
  for (const a of answers) {
    if (a.type === 'PTR') {
      for (const r of own) if (sameName(r.name, a.data) && (r.type === 'SRV' || r.type === 'TXT')) add(r);
    }
  }
  for (const a of [...answers, ...additionals]) {
    if (a.type === 'SRV') {
      for (const r of own) if (sameName(r.name, a.data.target) && (r.type === 'A' || r.type === 'AAAA')) add(r);
    }
  }
  return { answers, additionals };
}

/**
 * True when a response claims one of our unique names (SRV/TXT of our instance)
 * with other data (§9). Goodbyes and copies of our own records are not conflicts.
 */
export function conflicts(ownUnique: readonly MdnsRecord[], incoming: readonly MdnsRecord[]): boolean {
  const probed = ownUnique.filter((r) => r.type === 'SRV' || r.type === 'TXT');
  return incoming.some(
    (r) =>
      r.ttl > 0 &&
      probed.some((o) => o.type === r.type && sameName(o.name, r.name)) &&
      !probed.some((o) => sameRecord(o, r)),
  );
}

/**
 * Simultaneous probe tie-break (§8.2): both sides compare their proposed records
 * for the name, sorted, in wire order; the greater set wins. Returns 'lose' when
 * we must give up the name.
 */
export function probeTieBreak(ours: readonly MdnsRecord[], theirs: readonly MdnsRecord[]): 'win' | 'lose' | 'same' {
  const a = ours.map(rdataBytes).sort((x, y) => Buffer.compare(x, y));
  const b = theirs.map(rdataBytes).sort((x, y) => Buffer.compare(x, y));
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const c = Buffer.compare(a[i]!, b[i]!);
    if (c !== 0) return c > 0 ? 'win' : 'lose';
  }
  return a.length === b.length ? 'same' : a.length > b.length ? 'win' : 'lose';
}

/** The next name to try after a conflict: "rack" -> "rack (2)" -> "rack (3)". */
export function nextInstanceName(name: string): string {
  const m = /^(.*) \((\d+)\)$/.exec(name);
  if (m === null) return `${name} (2)`;
  return `${m[1]!} (${Number(m[2]) + 1})`;
}

const TYPE_CODES: Readonly<Record<MdnsRecord['type'], number>> = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 };

// class (IN = 1), type, then the record data as on the wire (names uncompressed).
function rdataBytes(r: MdnsRecord): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(1, 0);
  head.writeUInt16BE(TYPE_CODES[r.type], 2);
  switch (r.type) {
    case 'SRV': {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(r.data.port, 4);
      return Buffer.concat([head, fixed, nameBytes(r.data.target)]);
    }
    case 'TXT':
      return Buffer.concat([head, Buffer.from(rdataKey(r), 'hex')]);
    case 'PTR':
      return Buffer.concat([head, nameBytes(r.data)]);
    case 'A':
    case 'AAAA':
      return Buffer.concat([head, Buffer.from(r.data.toLowerCase(), 'utf8')]);
  }
}

function nameBytes(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l, 'utf8')])), Buffer.from([0])]);
}
