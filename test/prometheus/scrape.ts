// Reads samples out of Prometheus text exposition.

/** The value of the sample `name{labels}` (labels matched exactly, in any order), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = parseLabels(match[2] ?? '');
    const want = Object.entries(labels);
    if (want.length !== Object.keys(found).length) continue;
    if (want.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Every sample line of metric `name` (any labels). */
export function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function parseLabels(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return out;
}
