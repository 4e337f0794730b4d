// scripts/setup.sh installs every program the tests, the docs' examples and the scripts run, so a bare
// Debian 12 + Node machine passes `bash scripts/test.sh`. The programs are read out of the sources (the
// calls of test/ and src/, the commands of scripts/*.sh and of the docs' runnable blocks); dpkg says which
// package each comes from, and that package must be required by Debian (in every Debian 12 image) or
// installed by setup.sh (directly or as a dependency).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parseDoc } from './helpers/doc-blocks.js';
import { repoRoot } from './helpers/paths.js';

/** The directories of Debian's default PATH (not this user's: a pyenv shim is not what a bare machine has). */
const DEBIAN_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** What the Node image brings besides Debian, and ours (bin/ is on the docs' PATH). */
const NOT_DEBIAN = new Set(['node', 'npm', 'npx', 'scorefs']);
/** Shell words that read as the first word of a command but are none. */
const SHELL_WORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'in', 'function', 'select', 'time', 'sudo', 'exec', 'command', 'env']);

const read = (rel: string): string => readFileSync(path.join(repoRoot, rel), 'utf8');
const filesUnder = (dir: string, ext: string): string[] =>
  (readdirSync(path.join(repoRoot, dir), { recursive: true }) as string[]).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));

/** First words of the commands of a shell text: quotes, heredocs and comments removed, `defined` functions left out. */
function shellCommands(text: string, defined: ReadonlySet<string> = new Set()): string[] {
  const plain = text
    .replace(/<<-?\s*['"]?(\w+)['"]?[^\n]*\n[\s\S]*?\n\s*\1\s*(\n|$)/g, '\n') // heredoc bodies
    .replace(/\$\{[^}]*\}/g, 'X') // ${…}: an expansion (or a template's value), never a command name to check
    .replace(/(^|\s)#[^\n]*/g, '$1') // comments first: their apostrophes are no quotes
    .replace(/'[^']*'/g, "''")
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\$\{[^}]*\}/g, '""') // ${expansions}: a JS template's too, whose braces would read as a group
    .replace(/\w+\+?=\([^)]*\)/g, ''); // array assignments
  const words: string[] = [];
  for (const segment of plain.split(/\n|\|\||&&|[|;&(){}`!]|\$\(/)) {
    const tokens = segment.trim().split(/\s+/).filter((w) => !/^\w+=/.test(w)); // VAR=value prefixes
    if (['for', 'case', 'select'].includes(tokens[0]!)) continue; // `for x in …`: x is no command
    while (tokens.length && SHELL_WORDS.has(tokens[0]!)) tokens.shift();
    const first = tokens[0];
    if (first && /^[a-z][\w.+-]*$/.test(first) && !defined.has(first)) words.push(first);
  }
  return words;
}

/** Every program run, with where. */
function programs(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (names: string[], where: string): void => names.forEach((n) => found.has(n) || found.set(n, where));
  for (const file of [...filesUnder('test', '.ts'), ...filesUnder('src', '.ts')]) {
    const text = read(file);
    add([...text.matchAll(/\b(?:exec|output|run|spawn|spawnSync|execFile|execFileSync)\(\s*'([\w.+-]+)'/g)].map((m) => m[1]!), file);
    add([...text.matchAll(/\[\s*'([a-z][\w.+-]*)',\s*\[/g)].map((m) => m[1]!), file); // tables of [program, args]
    for (const m of text.matchAll(/'(?:ba)?sh', \['-c', `([^`]*)`/g)) add(shellCommands(m[1]!), file);
  }
  // scripts/bench-* are run by hand after `setup.sh --bench` and check for their own tools (nginx-light is
  // not installed where the tests run); bench-lib.sh's functions are theirs, and demo.sh's (it sources it).
  const scripts = filesUnder('scripts', '.sh').filter((f) => !path.basename(f).startsWith('bench-'));
  const functions = new Set(
    [...scripts, 'scripts/bench-lib.sh'].flatMap((f) => [...read(f).matchAll(/^\s*([\w-]+)\s*\(\)\s*\{/gm)].map((m) => m[1]!)),
  );
  for (const file of scripts) add(shellCommands(read(file), functions), file);
  for (const doc of ['README.md', ...filesUnder('docs', '.md').filter((f) => !f.endsWith('benchmarks.md'))]) {
    for (const step of parseDoc(doc, read(doc)).filter((s) => s.kind !== 'skip')) add(shellCommands(step.script), `${doc}:${step.line}`);
  }
  return found;
}

/** The packages setup.sh installs (with --test and --bench), and everything they depend on as installed here (dpkg's own records). */
function setupPackages(): Set<string> {
  const listed = [...read('scripts/setup.sh').matchAll(/^\s*(?:--\w+\) )?packages\+?=\(([^)]*)\)/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  const status = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Depends}, ${Pre-Depends}\n'], { encoding: 'utf8' });
  const depends = new Map(
    status
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [pkg, deps] = l.split('\t') as [string, string];
        return [pkg, deps.split(/[,|]/).map((d) => d.trim().split(/[\s:(]/)[0]!).filter(Boolean)] as const;
      }),
  );
  const all = new Set<string>();
  const walk = (pkg: string): void => {
    if (all.has(pkg)) return;
    all.add(pkg);
    depends.get(pkg)?.forEach(walk);
  };
  listed.forEach(walk);
  return all;
}

/** The Debian package that owns `file` (merged /usr: dpkg may know it under /bin or /sbin), or undefined. */
function owner(file: string): string | undefined {
  const candidates = new Set([file, realpathSync(file), file.replace(/^\/usr\//, '/'), realpathSync(file).replace(/^\/usr\//, '/')]);
  for (const c of candidates) {
    try {
      // dpkg -S also prints "diversion by PKG from/to: FILE" lines (/bin/sh): the owner is on the other line.
      const owners = execFileSync('dpkg', ['-S', c], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter((line) => line.includes(':') && !line.startsWith('diversion by '));
      if (owners[0]) return owners[0].split(':')[0]!.split(',')[0]!.trim();
    } catch {
      // not this name
    }
  }
  return undefined;
}

const requiredByDebian = (pkg: string): boolean =>
  /^(required|\S+ yes)$/.test(execFileSync('dpkg-query', ['-W', '-f=${Priority} ${Essential}', pkg], { encoding: 'utf8' }).replace(/ no$/, '').trim());

test('every program the tests, docs and scripts run is in Debian 12 or installed by scripts/setup.sh', (t) => {
  const installed = setupPackages();
  const found = programs();
  t.true(found.has('bgzip') && found.has('samtools') && found.has('python3'), 'the scan sees the programs it must');
  t.log(`programs run: ${[...found.keys()].sort().join(' ')}`);
  const problems: string[] = [];
  for (const [name, where] of [...found].sort()) {
    if (NOT_DEBIAN.has(name)) continue;
    // bash's own (cd, kill, set, …) before a program of that name
    if (['builtin', 'keyword'].includes(execFileSync('bash', ['-c', 'type -t "$1" || true', '_', name], { encoding: 'utf8' }).trim())) continue;
    const file = DEBIAN_PATH.map((d) => path.join(d, name)).find((f) => existsSync(f));
    if (!file) {
      problems.push(`${name} (run by ${where}) is not installed: add its Debian package to scripts/setup.sh`);
      continue;
    }
    const pkg = owner(file);
    if (!pkg) {
      problems.push(`${name} (${file}, run by ${where}) comes from no Debian package`);
      continue;
    }
    if (!requiredByDebian(pkg) && !installed.has(pkg)) problems.push(`${name} (run by ${where}) comes from ${pkg}, which neither Debian 12 nor scripts/setup.sh installs`);
  }
  t.deepEqual(problems, []);
});
