/**
 * Stopping the bench's helper processes on the way out: after the run, after an error (the caller's
 * `finally` runs `stopAll`), and on SIGINT or SIGTERM, where no `finally` runs: then every list handed out by
 * `stopsOnSignal` is stopped before the process exits (130).
 */

export type Stop = () => Promise<unknown>;

const lists = new Set<{ label: string; stops: Stop[] }>();
let installed = false;
/** Set once a signal arrived: the stopping it started. */
let interrupted: Promise<void> | undefined;

async function runStops(stops: Stop[], label: string): Promise<void> {
  for (const stop of stops.splice(0)) {
    await stop().catch((err: unknown) => console.error(`${label}: cleanup failed: ${err}`));
  }
}

/**
 * Runs `stops` in order and empties the list, logging (not throwing) what fails: each gets its chance to stop.
 * After a signal it also waits for the signal's stopping, so that the error the interrupted run then throws
 * cannot end the process while a helper is still being stopped.
 */
export async function stopAll(stops: Stop[], label: string): Promise<void> {
  await runStops(stops, label);
  if (interrupted) await interrupted;
}

/** A list of stops (newest first is the caller's to keep) that a SIGINT or SIGTERM also runs. */
export function stopsOnSignal(label: string): Stop[] {
  const entry = { label, stops: [] as Stop[] };
  lists.add(entry);
  if (!installed) {
    installed = true;
    const onSignal = (signal: NodeJS.Signals) => {
      console.error(`bench: ${signal}, stopping the helper processes`);
      const pending = [...lists].map((l) => runStops(l.stops, l.label));
      // Bounded: a helper that does not stop is killed by its own stop's timeout; this is the last resort.
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, 20_000).unref());
      interrupted = Promise.race([Promise.all(pending).then(() => undefined), deadline]);
      void interrupted.finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return entry.stops;
}
