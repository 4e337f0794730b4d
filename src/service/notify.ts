// sd_notify(3) for a Type=notify systemd service: tells the service manager that the mount is
// ready, or stopping. Node has no unix datagram sockets, so the message goes through systemd's own
// `systemd-notify` (present wherever systemd runs the unit). Without NOTIFY_SOCKET it does nothing.
//
// `systemd-notify` (systemd ≥ 246) waits for the manager to process the message (BARRIER=1), so the
// message is attributed to the unit even though that short-lived child exits right after; as root
// it also sends our pid as the sender. The unit needs NotifyAccess=all.
import { execFile } from 'node:child_process';
import { logger } from '../util/log.js';

const log = logger('notify');

/** systemd-notify waits up to 5 s for the manager's barrier; allow for a slow, busy manager. */
const NOTIFY_TIMEOUT_MS = 15_000;

/** The result of one notification: skipped (no NOTIFY_SOCKET), sent, or failed (why). */
export type NotifyOutcome = { sent: false; reason: 'no-socket' } | { sent: true } | { sent: false; reason: 'failed'; error: string };

/** READY=1 (with MAINPID and an optional STATUS line): call once the mount answers. */
export function notifyReady(status?: string): Promise<NotifyOutcome> {
  return sdNotify(['--ready', `--pid=${process.pid}`, ...statusArgs(status)]);
}

/** STOPPING=1: call when a stop was asked for, before unmounting. */
export function notifyStopping(status?: string): Promise<NotifyOutcome> {
  return sdNotify([...statusArgs(status), 'STOPPING=1']);
}

function statusArgs(status: string | undefined): string[] {
  // a datagram of KEY=VALUE lines: a newline would start a new assignment
  return status ? [`--status=${status.replace(/[\r\n]+/g, ' ')}`] : [];
}

/** Never throws: a failed notification is logged (systemd will then time the start out and say so). */
function sdNotify(args: string[]): Promise<NotifyOutcome> {
  const socket = process.env.NOTIFY_SOCKET;
  if (!socket) return Promise.resolve({ sent: false, reason: 'no-socket' });
  return new Promise((resolve) => {
    execFile('systemd-notify', args, { timeout: NOTIFY_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) {
        resolve({ sent: true });
        return;
      }
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemd-notify is not installed' : stderr.trim() || err.message;
      log.warn({ socket, args, err: why }, 'could not notify the service manager');
      resolve({ sent: false, reason: 'failed', error: why });
    });
  });
}
