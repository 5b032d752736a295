/** Positions inside UTF-8 bytes: the first invalid sequence, and byte offsets as line:column. */

/**
 * Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms, surrogates
 * and code points past U+10FFFF are invalid, as for a fatal TextDecoder), or -1 when all is valid.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * 1-based line and column of a byte offset. The column counts UTF-16 code units, as the parser's
 * columns do (a character outside the BMP counts two), not bytes; `bytes` before the offset are
 * taken as UTF-8.
 */
export function positionOfByte(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let col = 1;
  for (let i = lineStart; i < offset; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) !== 0x80) col += b >= 0xf0 ? 2 : 1;
  }
  return { line, col };
}
