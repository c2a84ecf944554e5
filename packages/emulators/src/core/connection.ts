import { constants, Http2ServerRequest } from 'node:http2';
import type { AnyRequest, AnyResponse } from './http.js';

/**
 * Drops one request the way a crashing front end does: HTTP/2 resets the stream with INTERNAL_ERROR (the
 * client cannot know whether it was processed), HTTP/1.1 has no stream to reset so the socket goes.
 */
export function resetRequest(req: AnyRequest): void {
  if (req instanceof Http2ServerRequest) req.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/**
 * Makes `res` the last response on its connection. HTTP/2: once it is sent, GOAWAY (NO_ERROR, this stream
 * as the last processed one, `debugData` as opaque data) and a graceful close, so later streams must go to
 * a new connection. HTTP/1.1: `Connection: close`. Call before writing the response.
 */
export function closeConnectionAfter(req: AnyRequest, res: AnyResponse, debugData?: string): void {
  if (!(req instanceof Http2ServerRequest)) {
    res.setHeader('connection', 'close');
    return;
  }
  // A finished stream no longer knows its session: take both now.
  const { stream } = req;
  const session = stream.session;
  res.once('finish', () => {
    if (!session || session.closed) return;
    session.goaway(
      constants.NGHTTP2_NO_ERROR,
      stream.id ?? 0,
      debugData === undefined ? undefined : Buffer.from(debugData),
    );
    session.close();
  });
}
