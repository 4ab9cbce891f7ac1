/**
 * The receiving end of `-inspect`, run as its own process because @statelyai/inspect is an ES
 * module that jest's CommonJS runtime cannot load. It relays as the package's
 * createInspectorServer does (every message to the other clients), bound to 127.0.0.1 where that
 * server listens on every interface, and subscribes to it with the package's own
 * createWebSocketReceiver, the side a Stately inspector page uses. It prints `{"port":N}` once
 * the receiver is connected, then each event the receiver gets as one JSON line.
 */
import { createRequire } from 'module';
import { clearInterval, setInterval, setTimeout } from 'timers';
import { createWebSocketReceiver } from '@statelyai/inspect';

// `ws` is the package's own dependency; resolve it from there.
const { WebSocketServer, WebSocket } = createRequire(import.meta.resolve('@statelyai/inspect'))('ws');

const relay = new WebSocketServer({ host: '127.0.0.1', port: 0 });
relay.on('connection', (client) => {
  client.on('message', (data) => {
    for (const other of relay.clients) if (other !== client && other.readyState === WebSocket.OPEN) other.send(data.toString());
  });
});
relay.on('listening', () => {
  const { port } = relay.address();
  const receiver = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` });
  receiver.subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  // The receiver subscribes to messages once its socket opens; the relay sees it as its first client.
  const ready = setInterval(() => {
    if (relay.clients.size === 0) return;
    clearInterval(ready);
    setTimeout(() => process.stdout.write(`${JSON.stringify({ port })}\n`), 50);
  }, 10);
});
process.on('SIGTERM', () => relay.close(() => process.exit(0)));
