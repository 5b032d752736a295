/**
 * The first string field of a decoded request that holds a NUL byte, as a path (`arguments`,
 * `hosts[1].hostname`), or undefined. protobuf strings may carry NUL, but argv and host names are
 * C strings: the kernel would cut them there and run something else than what was sent, so the
 * agent refuses them instead (INVALID_ARGUMENT naming the field). Bytes fields are not strings and
 * are left alone.
 */
export function findNulField(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || '(request)' : undefined;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulField(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const found = findNulField(v, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/** The INVALID_ARGUMENT message for a NUL byte in `field`. */
export function nulFieldMessage(field: string): string {
  return `${field} must not contain a NUL byte (\\0): commands, arguments and host names are C strings`;
}
