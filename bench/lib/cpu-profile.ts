import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads a V8 `.cpuprofile` (node --cpu-prof) and names where the process spent its CPU time. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  /** Share of the busy (non-idle) samples' time, 0..1. */
  share: number;
}

/** The area a frame belongs to: a package, a Node.js built-in, a callpush folder, or a V8 pseudo-frame. */
function area(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native code, e.g. socket writes)';
  // node:internal/http2/core → node:internal/http2; node:events stays.
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /packages\/(\w+)\/(?:dist|src)\/([^/]+)/.exec(url);
  if (own) return `callpush ${own[1]}/${own[2]!.replace(/\.js$/, '')}`;
  return path.basename(url);
}

function frameName(frame: ProfileNode['callFrame']): string {
  const where = frame.url ? ` ${frame.url.replace(/^.*\/(node_modules|packages)\//, '')}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'}${where}`;
}

function top(times: Map<string, number>, busy: number, n: number): HotSpot[] {
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, t]) => ({ name, share: t / busy }));
}

/** Self time by function and by area, the `n` largest of each, as shares of the busy time. */
export function hotSpots(file: string, n = 12): { functions: HotSpot[]; areas: HotSpot[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busy += dt;
    fns.set(frameName(frame), (fns.get(frameName(frame)) ?? 0) + dt);
    areas.set(area(frame), (areas.get(area(frame)) ?? 0) + dt);
  });
  return { functions: top(fns, busy, n), areas: top(areas, busy, n) };
}

/**
 * The newest main-thread profile in `dir`. Node names them `CPU.<date>.<time>.<pid>.<thread>.<seq>`; worker
 * threads (the SQLite checkpointer) write their own, with a thread id above 0.
 */
export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .sort();
  const last = files.at(-1);
  return last && path.join(dir, last);
}
