import { readFileSync } from 'node:fs';

/**
 * The open-files limits of this process (and so of the processes it starts): `soft` is what a process may
 * open now, `hard` how far it may raise that. Infinity where unknown or unlimited.
 */
function openFilesLimits(): { soft: number; hard: number } {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
    const value = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : Number.POSITIVE_INFINITY);
    return { soft: value(soft), hard: value(hard) };
  } catch {
    return { soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY };
  }
}

/**
 * The command line that runs `command` with its soft open-files limit raised to `files` (Node cannot raise its
 * own: the shell's `ulimit` does it, then `exec`s the command, so the process, its pid and its IPC channel
 * are the command's). Unchanged when the current limit already allows `files`.
 */
export function withOpenFiles(files: number, command: string, args: readonly string[]): [string, string[]] {
  const { soft, hard } = openFilesLimits();
  if (files <= soft) return [command, [...args]];
  if (files > hard) {
    throw new Error(`${files} open files are needed and this machine allows at most ${hard} (ulimit -Hn)`);
  }
  return ['/bin/sh', ['-c', 'ulimit -n "$1" && shift && exec "$@"', 'sh', String(files), command, ...args]];
}
