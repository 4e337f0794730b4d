// An https:// URL to a server that speaks plain HTTP fails every TLS handshake (a reset, or "wrong
// version number"), which would otherwise be retried as a network error until the read deadline.
// When a handshake fails, one plain-HTTP request to the same host:port tells a mismatch from a
// flaky network (once per origin): a mismatch fails at once, saying what to change.
import net from 'node:net';
import { ProtocolError } from '../errors.js';

const HANDSHAKE_FAILED = /before secure TLS connection was established|wrong version number|packet length too long|unknown protocol/i;
const CHECK_MS = 3000;

export class TlsMismatchCheck {
  private readonly plainHttp = new Map<string, Promise<boolean>>();

  /** A ProtocolError when `err` is a failed TLS handshake with an origin that answers plain HTTP. */
  async explain(err: unknown, target: URL): Promise<ProtocolError | undefined> {
    if (target.protocol !== 'https:' || !handshakeFailed(err)) return undefined;
    let answers = this.plainHttp.get(target.origin);
    if (!answers) this.plainHttp.set(target.origin, (answers = speaksPlainHttp(target.hostname, Number(target.port || 443))));
    if (!(await answers)) return undefined;
    const plain = `http://${target.host}`;
    return new ProtocolError(`${target.origin} answers plain HTTP, not TLS: is the server http, not https? Try ${plain}`, { cause: err });
  }
}

function handshakeFailed(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (HANDSHAKE_FAILED.test(e instanceof Error ? e.message : String(e)) || code.startsWith('ERR_SSL')) return true;
  }
  return false;
}

/** Whether host:port answers an HTTP/1.0 HEAD with an HTTP status line. */
function speaksPlainHttp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const finish = (yes: boolean): void => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(CHECK_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    socket.once('data', (d: Buffer) => finish(d.subarray(0, 5).toString('latin1') === 'HTTP/'));
    socket.once('end', () => finish(false));
  });
}
