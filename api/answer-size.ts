/**
 * How many bytes a value takes as UTF-8 JSON, counted without serialising it, and no further
 * than `limit`: past it the walk stops and returns what it has (more than `limit`). Iterative,
 * so a deep value cannot overflow the stack, and linear in what it visits: the answer bound and
 * the read budget measure every answer and every read with it.
 *
 * ```ts
 * jsonBytes({ a: 'é' }, 1000); // 10, as Buffer.byteLength(JSON.stringify({ a: 'é' }))
 * jsonBytes(hugeAnswer, 4 << 20); // > 4 MiB as soon as it is known, whatever the rest holds
 * ```
 */
export function jsonBytes(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const current = stack.pop();
    switch (typeof current) {
      case 'string':
        total += stringBytes(current, limit - total);
        break;
      case 'number':
      case 'bigint':
        total += String(current).length;
        break;
      case 'boolean':
        total += current ? 4 : 5;
        break;
      case 'object': {
        if (current === null) {
          total += 4;
        } else if (Buffer.isBuffer(current) || current instanceof Uint8Array) {
          total += current.byteLength;
        } else if (current instanceof Date) {
          total += 26;
        } else if (Array.isArray(current)) {
          total += 2 + Math.max(0, current.length - 1);
          for (const item of current) stack.push(item);
        } else {
          const entries = Object.entries(current);
          total += 2 + Math.max(0, entries.length - 1);
          for (const [key, item] of entries) {
            total += stringBytes(key, limit - total) + 1;
            stack.push(item);
          }
        }
        break;
      }
      default:
        // undefined and functions are left out of JSON
        break;
    }
  }
  return total;
}

/**
 * A string's bytes as a JSON string literal: quotes, escapes (`\n`, `\u0001`), and 2 to 4
 * UTF-8 bytes for what is not ASCII. A string longer than what is left of the limit is over it
 * whatever its characters: not scanned.
 */
function stringBytes(text: string, left: number): number {
  if (text.length > left) return text.length + 2;
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) bytes += c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 || c === 0x0c ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else {
      // A surrogate pair is one 4-byte character; JSON.stringify escapes a lone one (6 bytes).
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 6;
    }
  }
  return bytes;
}
