import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a result was measured on, for the report header. */
export function describeMachine(): string {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1]!.trim();
  } catch {
    // Not Linux: os.cpus() is as good.
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${os.availableParallelism()} CPUs (${model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}, load average before the run ${load}`;
}

/** The machine's CPU time counters (all CPUs, in clock ticks) from /proc/stat; zeros where unavailable. */
export interface CpuTimes {
  busy: number;
  idle: number;
  /** Time the hypervisor gave this VM's CPUs to someone else. */
  steal: number;
}

export function cpuTimes(): CpuTimes {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  } catch {
    return { busy: 0, idle: 0, steal: 0 };
  }
}

/**
 * Busy and stolen shares of the machine between two readings, in % of all CPUs, and the busy time in % of
 * one CPU (to subtract the bench's own processes from and see what else ran).
 */
export function cpuShares(before: CpuTimes, after: CpuTimes): { busy: number; steal: number; busyCores: number } {
  const busy = after.busy - before.busy;
  const steal = after.steal - before.steal;
  const all = busy + steal + after.idle - before.idle;
  if (all <= 0) return { busy: Number.NaN, steal: Number.NaN, busyCores: Number.NaN };
  return {
    busy: (100 * busy) / all,
    steal: (100 * steal) / all,
    busyCores: (100 * busy * os.availableParallelism()) / all,
  };
}

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const USER_HZ = 100;

/** CPU time (user + system, µs) of every running process whose command is one of `commands`, by pid. */
export function commandCpu(commands: readonly string[]): Map<number, { command: string; micros: number }> {
  const out = new Map<number, { command: string; micros: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const stat = procStat(Number(pid));
    if (stat && commands.includes(stat.command)) out.set(Number(pid), stat);
  }
  return out;
}

/** A process's command and CPU time (user + system, all its threads, µs); undefined once it exited or off Linux. */
function procStat(pid: number): { command: string; micros: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may hold spaces and parentheses, so split after the last ')'.
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { command, micros: (ticks * 1e6) / USER_HZ };
  } catch {
    return undefined;
  }
}

/** CPU time of process `pid` so far (user + system, every thread), µs; NaN when it cannot be read. */
export function processCpuMicros(pid: number): number {
  return procStat(pid)?.micros ?? Number.NaN;
}

/** Resident set size of process `pid` now (`VmRSS` of /proc/<pid>/status), bytes; NaN when it cannot be read. */
export function processRssBytes(pid: number): number {
  try {
    const line = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Samples `pid`'s RSS every `intervalMs` until `stop()`, which answers the highest reading (bytes; NaN when
 * none could be read) and how many readings were taken.
 */
export function sampleRss(pid: number, intervalMs = 100): { stop(): { peak: number; samples: number } } {
  let peak = Number.NaN;
  let samples = 0;
  const read = () => {
    const rss = processRssBytes(pid);
    if (Number.isNaN(rss)) return;
    samples++;
    peak = Number.isNaN(peak) ? rss : Math.max(peak, rss);
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      read();
      return { peak, samples };
    },
  };
}

/**
 * CPU time each command spent between two readings, µs. A process started in between counts from zero; one
 * that exited in between is lost (PostgreSQL's pooled backends and Redis live through a step).
 */
export function commandCpuDelta(
  before: ReturnType<typeof commandCpu>,
  after: ReturnType<typeof commandCpu>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, { command, micros }] of after) {
    out[command] = (out[command] ?? 0) + micros - (before.get(pid)?.micros ?? 0);
  }
  return out;
}
