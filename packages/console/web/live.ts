import { failure } from './api.js';

export interface StreamHandlers {
  onEvent(event: string, data: unknown): void;
  /** The stream is over: the reason its `end` event gave, `closed` when the connection dropped without one. */
  onEnd(reason: string): void;
  onError(e: unknown): void;
}

/**
 * Reads a server-sent-event stream of this origin and returns its stop. Through fetch rather than EventSource,
 * which cannot send the Authorization header the API asks for; an answer other than a stream (a 204: nothing to
 * stream) ends it at once.
 */
export function openStream(path: string, headers: Record<string, string>, handlers: StreamHandlers): () => void {
  const abort = new AbortController();
  const read = async () => {
    const r = await fetch(path, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (!r.ok) throw await failure(r);
    if (!r.body || !r.headers.get('content-type')?.startsWith('text/event-stream')) return handlers.onEnd('none');
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let reason = 'closed';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // Events end with a blank line; a line is `field: value`, and a `:` line is a keep-alive comment.
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const event = field('event');
        const data = field('data');
        if (!event || data === undefined) continue;
        const parsed = JSON.parse(data) as unknown;
        if (event === 'end') reason = String((parsed as { reason?: unknown }).reason ?? 'closed');
        else handlers.onEvent(event, parsed);
      }
    }
    handlers.onEnd(reason);
  };
  read().catch((e: unknown) => {
    if (!abort.signal.aborted) handlers.onError(e);
  });
  return () => abort.abort();
}

/**
 * Runs `run` for the latest value only: a value arriving while a run is under way waits for it, and one
 * arriving after replaces it, so a burst of events makes at most two runs and they never overlap. `run`
 * reports its own errors.
 */
export function latest<T>(run: (value: T) => Promise<void>): (value: T) => void {
  let busy = false;
  let queued: { value: T } | undefined;
  const go = (value: T): void => {
    if (busy) {
      queued = { value };
      return;
    }
    busy = true;
    run(value).finally(() => {
      busy = false;
      const next = queued;
      queued = undefined;
      if (next) go(next.value);
    });
  };
  return go;
}
