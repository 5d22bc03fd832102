import type { WebSocket, WebSocketServer } from 'ws';

/** Bytes a socket may hold unsent before its reader counts as too slow. */
export const MAX_UNSENT_BYTES = 1024 * 1024;

/** Close code for a reader that fell too far behind; graphql-ws clients retry it (not 4401/4400/1xxx). */
export const SLOW_READER_CLOSE_CODE = 4008;

/**
 * Bounds what the server holds for a client that stops reading. graphql-ws waits for each
 * message to be flushed before it sends the next, so a stalled reader would stall its
 * subscriptions, and their events would queue without bound on the way in. Here a send
 * returns once the message is queued on the socket, and a socket with more than
 * MAX_UNSENT_BYTES queued is closed with SLOW_READER_CLOSE_CODE: the close frame follows what
 * is queued, so a client that reads again learns why, and `ws` cuts one that never does.
 * Must be called before graphql-ws's server is attached, so that its sockets are already bounded.
 */
export function boundUnsentBytes(wsServer: WebSocketServer, maxUnsentBytes = MAX_UNSENT_BYTES): void {
  wsServer.on('connection', (socket: WebSocket) => {
    const send = socket.send.bind(socket) as (data: string, callback?: (error?: Error) => void) => void;
    socket.send = ((data: string, callback?: (error?: Error) => void) => {
      if (socket.readyState !== socket.OPEN) return send(data, callback);
      if (socket.bufferedAmount > maxUnsentBytes) {
        socket.close(SLOW_READER_CLOSE_CODE, 'Too slow: the client did not read its messages');
        callback?.(new Error('the client reads too slowly'));
        return;
      }
      send(data);
      callback?.();
    }) as WebSocket['send'];
  });
}
