// Reading JSON that comes from outside (a config file, a desired config, command arguments) so that what the
// validator sees is what was written: JSON.parse (V8's is iterative, so any depth parses), then one linear scan
// of the text that refuses documents nested deeper than MAX_JSON_DEPTH (the validator, JSON.stringify and
// structuredClone all recurse, and a 10,000-deep document overflowed the stack) and whole numbers a double cannot
// hold exactly (`9007199254740993` would silently become `9007199254740992`, `1e308` a different number).
// Fractions (`0.1`) are read as the nearest double, as JSON intends.

/** Deepest nesting of objects and arrays accepted; a real config is about five deep. */
export const MAX_JSON_DEPTH = 64;

/** A document refused before validation. `path` is written as the validator writes it (`(root)`, `mqtt.brokers[0]`). */
export class JsonTextError extends Error {
  /** `path: reason`, as in ConfigError's list. */
  readonly line: string;
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The same, to follow the word "payload" (command replies). */
    message: string,
  ) {
    super(message);
    this.name = 'JsonTextError';
    this.line = `${path}: ${reason}`;
  }
}

/** JSON.parse, refusing what the module comment describes; throws JsonTextError. */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message;
    throw new JsonTextError('(root)', `not valid JSON: ${reason}`, `is not JSON: ${reason}`);
  }
  scan(text, maxDepth);
  return value;
}

interface Frame {
  array: boolean;
  index: number;
  key: string;
  expectKey: boolean;
}

/** Walks valid JSON text once, without recursion, keeping only the open containers. */
function scan(text: string, maxDepth: number): void {
  const stack: Frame[] = [];
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, j + 1)) as string;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ array: c === 0x5b, index: 0, key: '', expectKey: c === 0x7b });
      deepest = Math.max(deepest, stack.length);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top.array) top.index++;
      else top.expectKey = true;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      if (deepest <= maxDepth) checkNumber(text.slice(i, j), stack);
      i = j - 1;
    }
  }
  if (deepest > maxDepth) {
    const reason = `nested ${deepest} levels deep (at most ${maxDepth})`;
    throw new JsonTextError('(root)', reason, `is ${reason}`);
  }
}

/** Refuses a number that reads as a whole number but not as the one written. */
function checkNumber(token: string, stack: Frame[]): void {
  const value = Number(token);
  if (Number.isSafeInteger(value) && /^-?\d+$/.test(token)) return; // the common case: exact by construction
  if (Number.isFinite(value) && !Number.isInteger(value)) return; // a fraction: the nearest double, as JSON intends
  const at = pathOf(stack);
  if (!Number.isFinite(value)) {
    throw new JsonTextError(at, `${token} is beyond the largest number`, `holds ${token} at ${at}, which is beyond the largest number`);
  }
  if (exact(token, value)) return;
  const reason = `is not exactly representable as a number (it would be read as ${value})`;
  throw new JsonTextError(at, `${token} ${reason}`, `holds ${token} at ${at}, which ${reason}`);
}

/** Whether the decimal `token` equals the whole number `value` exactly (BigInt arithmetic, no rounding). */
function exact(token: string, value: number): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token)!;
  const digits = BigInt(m[1] + (m[2] ?? ''));
  const target = BigInt(Math.abs(value));
  if (digits === 0n) return target === 0n;
  if (target === 0n) return false; // underflow: `1e-400` reads as 0
  // digits × 10^shift; with a non-zero whole value, |shift| is bounded by the token's length (no huge powers).
  const shift = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  if (Math.abs(shift) > token.length + 400) return false;
  return shift >= 0 ? digits * 10n ** BigInt(shift) === target : digits === target * 10n ** BigInt(-shift);
}

function pathOf(stack: Frame[]): string {
  let out = '';
  for (const f of stack) {
    if (f.array) out += `[${f.index}]`;
    else out = out ? `${out}.${f.key}` : f.key;
  }
  return out || '(root)';
}
