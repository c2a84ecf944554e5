/** Running many fuzz cases: a bounded pool of workers and a report that groups failures with a reproduction. */

export interface Failure {
  count: number;
  /** The shortest request that showed it, exactly as sent (shortened when long), and what came back. */
  example: { size: number; request: string; detail: string };
  /** Where it happened: operations or case kinds. */
  where: Set<string>;
}

export class FailureLog {
  readonly groups = new Map<string, Failure>();

  /** One occurrence of `kind`; the reproduction kept is the shortest request seen. */
  add(kind: string, where: string, request: Buffer, detail = ''): void {
    const g = this.groups.get(kind) ?? {
      count: 0,
      example: { size: Infinity, request: '', detail: '' },
      where: new Set(),
    };
    g.count += 1;
    g.where.add(where);
    if (request.length < g.example.size) g.example = { size: request.length, request: showBytes(request), detail };
    this.groups.set(kind, g);
  }

  get size(): number {
    return this.groups.size;
  }

  /** One paragraph per kind of failure, most frequent first. */
  report(): string {
    return [...this.groups.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([kind, g]) => {
        const where = [...g.where].slice(0, 6).join(', ') + (g.where.size > 6 ? `, … (${g.where.size})` : '');
        const answer = g.example.detail ? `\n    answer: ${g.example.detail.slice(0, 300)}` : '';
        return `${g.count}× ${kind}\n    in: ${where}\n    request: ${g.example.request}${answer}`;
      })
      .join('\n');
  }
}

/** Bytes as a JS string literal a reader can paste, cut in the middle when long. */
export function showBytes(bytes: Buffer, max = 400): string {
  const text = bytes.toString('latin1');
  const shown = text.length > max ? `${text.slice(0, max / 2)}…[${text.length} bytes]…${text.slice(-max / 2)}` : text;
  return JSON.stringify(shown);
}

/**
 * Runs `count` jobs with at most `workers` at once and stops starting new ones after `deadline` (epoch ms);
 * returns how many ran.
 */
export async function pool(count: number, workers: number, deadline: number, job: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) await job(next++);
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return next;
}
