import type { Http2ServerRequest } from 'node:http2';
import { constants } from 'node:http2';
import type { AnyRequest, AnyResponse } from './http.js';

function isHttp2(req: AnyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** The `reset` behaviour: drop the whole connection without an answer (an HTTP/2 session dies with every stream on it). */
export function dropConnection(req: AnyRequest): void {
  if (isHttp2(req)) req.stream.session?.destroy();
  else req.socket.destroy();
}

/**
 * Drops one request only, the way a failing front end resets a stream: HTTP/2 `RST_STREAM INTERNAL_ERROR`
 * (the client cannot know whether it was processed; other streams live on). HTTP/1.1 has no stream to
 * reset, so its socket goes.
 */
export function resetStream(req: AnyRequest): void {
  if (isHttp2(req)) req.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/**
 * The `goaway` behaviour: the current request is still answered, then the connection is retired the way a
 * provider drains a front end: HTTP/2 sends GOAWAY (NO_ERROR, last stream = this one) and closes once open
 * streams finish, with `debugData` as the GOAWAY opaque data (APNs puts a JSON reason there); HTTP/1.1
 * answers with `Connection: close`. Call before writing the response.
 */
export function closeConnectionAfter(req: AnyRequest, res: AnyResponse, debugData = 'goaway behaviour'): void {
  if (!isHttp2(req)) {
    res.setHeader('connection', 'close');
    return;
  }
  // Take the session now: once the response has finished, the stream no longer knows its session, and a
  // lookup in the 'finish' handler finds none, so no GOAWAY would ever go out.
  const stream = req.stream;
  const session = stream.session;
  res.once('finish', () => {
    if (!session || session.closed || session.destroyed) return;
    session.goaway(constants.NGHTTP2_NO_ERROR, stream.id, Buffer.from(debugData));
    session.close();
  });
}
