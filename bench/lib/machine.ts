import { readFileSync } from 'node:fs';
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
