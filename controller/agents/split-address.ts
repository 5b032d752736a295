/** Host and port of `HOST:PORT` / `[v6]:PORT`. */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  return { host: m?.[1] ?? address, port: Number(m?.[2] ?? 0) };
}
