/** The value of the series `name` with exactly `labels` in a Prometheus scrape; 0 when it is absent. */
export function sample(scrape: string, name: string, labels: Record<string, string>): number {
  for (const line of scrape.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const keys = Object.keys(labels);
    if (keys.length === Object.keys(got).length && keys.every((k) => got[k] === labels[k])) return Number(m[3]);
  }
  return 0;
}
