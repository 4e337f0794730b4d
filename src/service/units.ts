// The systemd units of scorefs, rendered as text (pure functions; src/cli/install-systemd.ts writes them):
// - scorefs.service, a user unit that mounts at login;
// - scorefs@.service, a templated system unit, one instance per config file <dir>/<instance>.conf.
// Both run `scorefs mount --foreground` as a Type=notify service (READY=1 once the mount answers,
// see notify.ts) and stop with `scorefs unmount`, which also clears a mount left by a crash.
// The mountpoint is the unit's SCOREFS_MOUNTPOINT (Environment=), so a drop-in can change it per
// instance. No unit line holds a token: it comes from token-file (or accessToken) in the config.
import { pathToFileURL } from 'node:url';
import { InvalidInput } from '../errors.js';

export const USER_UNIT = 'scorefs.service';
export const SYSTEM_UNIT = 'scorefs@.service';
export const MOUNTPOINT_VAR = 'SCOREFS_MOUNTPOINT';

/**
 * A path as the unit holds it: a literal (escaped when written), or a template of systemd
 * specifiers written as is, e.g. "%h/score" or "/mnt/scorefs/%i".
 */
export type UnitPath = { literal: string } | { template: string };

/** Absolute paths fixed at install time: systemd's PATH may not find this node. */
export interface Executables {
  node: string;
  scorefs: string;
  /** Variables the mount runs with (Environment=): src/fuse/mount-environment.ts's. */
  environment?: Record<string, string>;
  /** Shown by `systemctl status` (Documentation=). */
  docs?: string;
}

export interface UserUnitOptions extends Executables {
  mountpoint: UnitPath;
  config: UnitPath;
}

export interface SystemUnitOptions extends Executables {
  /** Directory of the instance configs: instance NAME reads <configDir>/NAME.conf. */
  configDir: string;
  /** Run as this user instead of root (User=). */
  runAs?: string;
}

export function userUnitDefaults(): Pick<UserUnitOptions, 'mountpoint' | 'config'> {
  return { mountpoint: { template: '%h/score' }, config: { template: '%h/.config/scorefs/scorefs.conf' } };
}

export function renderUserUnit(o: UserUnitOptions): string {
  return renderUnit({
    header: ['# Written by `scorefs install-systemd --user`; run it again to update.', `# Change the mountpoint with \`systemctl --user edit scorefs\`: [Service] Environment=${MOUNTPOINT_VAR}=DIR`],
    unit: [
      `Description=scorefs: Score objects mounted read-only (config ${displayPath(o.config)})`,
      ...documentation(o),
      // The user manager has no network-online.target of its own (a no-op there); the mount comes up
      // offline from its cached listing, or fails and is restarted.
      'After=network-online.target',
      'Wants=network-online.target',
    ],
    service: serviceLines(o, o.mountpoint, o.config, []),
    install: ['WantedBy=default.target'],
  });
}

export function renderSystemUnit(o: SystemUnitOptions): string {
  const config: UnitPath = { template: `${escapeSpecifiers(o.configDir.replace(/\/+$/, ''))}/%i.conf` };
  return renderUnit({
    header: [
      '# Written by `scorefs install-systemd`; run it again to update. One instance per config file:',
      `#   systemctl enable --now scorefs@NAME   mounts with ${displayPath(config).replace('%i', 'NAME')}`,
      `# Change an instance's mountpoint with \`systemctl edit scorefs@NAME\`: [Service] Environment=${MOUNTPOINT_VAR}=DIR`,
    ],
    unit: [
      `Description=scorefs: Score objects mounted read-only (%i, config ${displayPath(config)})`,
      ...documentation(o),
      // as a _netdev mount: after the network is up, part of remote-fs.target
      'After=network-online.target remote-fs-pre.target',
      'Wants=network-online.target',
      'Before=remote-fs.target',
    ],
    service: serviceLines(o, { template: '/mnt/scorefs/%i' }, config, [
      ...(o.runAs ? [`User=${unitName(o.runAs)}`] : []),
      // created (and given to User=) by systemd; the example config points cache-dir here
      'CacheDirectory=scorefs/%i',
      'CacheDirectoryMode=0700',
    ]),
    install: ['WantedBy=multi-user.target remote-fs.target'],
  });
}

/** A drop-in (scorefs@NAME.service.d/mountpoint.conf) that mounts instance NAME elsewhere. */
export function renderMountpointDropIn(mountpoint: string): string {
  return ['# Written by `scorefs install-systemd --mountpoint`.', '[Service]', environment(MOUNTPOINT_VAR, { literal: mountpoint }), ''].join('\n');
}

/**
 * /sbin/mount.fuse.scorefs or /sbin/umount.fuse.scorefs: mount(8) and umount(8) run these for type
 * fuse.scorefs. They name node and the helper absolutely: mount may run with a bare PATH.
 */
export function renderHelperWrapper(o: { node: string; helperMain: string; by: 'mount' | 'umount' }): string {
  const line = `# Written by \`scorefs install-systemd\`: ${o.by}(8) runs this for filesystem type fuse.scorefs.`;
  return ['#!/bin/sh', line, `exec ${shellWord(o.node)} ${shellWord(o.helperMain)} ${o.by} "$@"`, ''].join('\n');
}

function serviceLines(o: Executables, mountpoint: UnitPath, config: UnitPath, extra: string[]): string[] {
  const scorefs = [execWord({ literal: o.node }), execWord({ literal: o.scorefs })].join(' ');
  const mnt = `\${${MOUNTPOINT_VAR}}`; // one argument, spaces and all
  return [
    'Type=notify',
    'NotifyAccess=all', // READY=1 comes from a systemd-notify child
    ...extra,
    environment(MOUNTPOINT_VAR, mountpoint),
    ...Object.entries(o.environment ?? {}).map(([name, value]) => environment(name, { literal: value })),
    `ExecStartPre=-/bin/mkdir -p ${mnt}`,
    `ExecStart=${scorefs} mount ${mnt} --foreground --config ${execWord(config)}`,
    `ExecStop=${scorefs} unmount ${mnt}`,
    'Restart=on-failure',
    'RestartSec=10s',
    // the mount waits up to its read deadline (60 s) for the server before mounting offline
    'TimeoutStartSec=120s',
    'TimeoutStopSec=60s',
  ];
}

function renderUnit(s: { header: string[]; unit: string[]; service: string[]; install: string[] }): string {
  return [...s.header, '', '[Unit]', ...s.unit, '', '[Service]', ...s.service, '', '[Install]', ...s.install, ''].join('\n');
}

function documentation(o: Executables): string[] {
  return o.docs ? [`Documentation=${escapeSpecifiers(pathToFileURL(o.docs).href)}`] : [];
}

function environment(name: string, value: UnitPath): string {
  const text = 'literal' in value ? escapeSpecifiers(checkPath(value.literal)) : value.template;
  return `Environment=${quoteIfNeeded(`${name}=${text}`)}`;
}

/** One word of an Exec*= line: `%` and `$` escaped in literals, quoted when it holds spaces. */
function execWord(value: UnitPath): string {
  if ('template' in value) return quoteIfNeeded(value.template);
  return quoteIfNeeded(escapeSpecifiers(checkPath(value.literal)).replace(/\$/g, '$$$$'));
}

function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

function quoteIfNeeded(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./${}-]+$/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, '\\$&')}"`;
}

function checkPath(p: string): string {
  if (/[\x00-\x1f\x7f]/.test(p)) throw new InvalidInput(`a path with control characters cannot go into a systemd unit: ${JSON.stringify(p)}`);
  return p;
}

function unitName(user: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) throw new InvalidInput(`not a user name: ${JSON.stringify(user)}`);
  return user;
}

/** How a path reads in Description= (specifiers expand there): a literal with % escaped, a template as written. */
function displayPath(value: UnitPath): string {
  return 'literal' in value ? escapeSpecifiers(value.literal) : value.template;
}

function shellWord(text: string): string {
  return `'${checkPath(text).replace(/'/g, `'\\''`)}'`;
}
