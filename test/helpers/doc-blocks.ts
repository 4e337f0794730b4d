// Reads the shell examples out of a Markdown document, for test/docs-commands.test.ts.
//
// - ```sh / ```bash blocks are scripts; ```console blocks are `$ command` lines (a line ending in `\`
//   continues on the next) followed by all the output they print, which the test checks (`…` matches any
//   text; a line of just `…` any number of lines).
// - ```text / ```ini / ```json blocks show files or output and are not run. A fence without a language,
//   or with another one, is an error: every example must say what it is.
// - `<!-- docs-test: skip — REASON -->` on the line before a block: not run, for the reason given.
// - `<!-- docs-test: setup` … `-->`: shell lines run at that point, unseen by readers (to stage a
//   failure the text then shows, such as a stale mount).

export const COMMAND_LANGS = ['sh', 'bash', 'console'] as const;
export const NON_COMMAND_LANGS = ['text', 'ini', 'json'] as const;

export interface DocStep {
  kind: 'run' | 'skip' | 'setup';
  /** 1-based line of the fence (or of the setup comment). */
  line: number;
  lang: string;
  /** The bash script the step runs. */
  script: string;
  /** console blocks: the output lines shown, in order. */
  expected: string[];
  /** skip: why. */
  reason?: string;
}

export class DocFormatError extends Error {}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const SKIP = /^<!--\s*docs-test:\s*skip\s*(?:—|--|-|:)?\s*(.*?)\s*-->\s*$/;
const SETUP_START = /^<!--\s*docs-test:\s*setup\s*$/;
const DIRECTIVE = /<!--\s*docs-test:/;

/** Every example of `text` in order: run, skipped (with its reason) or hidden setup. */
export function parseDoc(file: string, text: string): DocStep[] {
  const lines = text.split('\n');
  const steps: DocStep[] = [];
  let pendingSkip: { reason: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const where = `${file}:${i + 1}`;
    const skip = SKIP.exec(line.trim());
    if (skip) {
      if (!skip[1]) throw new DocFormatError(`${where}: a docs-test skip must give its reason`);
      pendingSkip = { reason: skip[1], line: i + 1 };
      continue;
    }
    if (SETUP_START.test(line.trim())) {
      const end = lines.findIndex((l, j) => j > i && l.trim() === '-->');
      if (end < 0) throw new DocFormatError(`${where}: docs-test setup without its closing -->`);
      steps.push({ kind: 'setup', line: i + 1, lang: 'sh', script: lines.slice(i + 1, end).join('\n'), expected: [] });
      i = end;
      continue;
    }
    if (DIRECTIVE.test(line)) throw new DocFormatError(`${where}: unknown docs-test directive: ${line.trim()}`);
    const fence = FENCE.exec(line);
    if (!fence) {
      if (pendingSkip && line.trim() !== '') throw new DocFormatError(`${file}:${pendingSkip.line}: a docs-test skip must stand right before a code block`);
      continue;
    }
    const [, indent, marker, lang] = fence as unknown as [string, string, string, string];
    const close = lines.findIndex((l, j) => j > i && l.trim().startsWith(marker) && l.trim().replace(/[`~]/g, '') === '');
    if (close < 0) throw new DocFormatError(`${where}: code block is never closed`);
    const body = lines.slice(i + 1, close).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    const fenceLine = i + 1;
    i = close;
    const skipped = pendingSkip;
    pendingSkip = undefined;
    if ((NON_COMMAND_LANGS as readonly string[]).includes(lang)) {
      if (skipped) throw new DocFormatError(`${where}: a ${lang} block is never run; drop its docs-test skip`);
      continue;
    }
    if (!(COMMAND_LANGS as readonly string[]).includes(lang)) {
      throw new DocFormatError(
        `${where}: code block ${lang ? `language "${lang}"` : 'without a language'}: use ${COMMAND_LANGS.join('/')} for commands, ${NON_COMMAND_LANGS.join('/')} for the rest`,
      );
    }
    const { script, expected } = lang === 'console' ? splitConsole(body, where) : { script: body.join('\n'), expected: [] };
    if (skipped) steps.push({ kind: 'skip', line: fenceLine, lang, script, expected, reason: skipped.reason });
    else steps.push({ kind: 'run', line: fenceLine, lang, script, expected });
  }
  return steps;
}

/** `$ cmd` lines (with `\` continuations) make the script; the other non-blank lines are output. */
function splitConsole(body: string[], where: string): { script: string; expected: string[] } {
  const commands: string[] = [];
  const expected: string[] = [];
  let continuing = false;
  for (const l of body) {
    if (continuing) {
      commands.push(l);
      continuing = l.trimEnd().endsWith('\\');
    } else if (l.startsWith('$ ')) {
      commands.push(l.slice(2));
      continuing = l.trimEnd().endsWith('\\');
    } else if (l.trim() !== '') {
      expected.push(l.trim());
    }
  }
  if (commands.length === 0) throw new DocFormatError(`${where}: a console block needs "$ " command lines`);
  return { script: commands.join('\n'), expected };
}

/**
 * What is wrong with `output` as a console block shows it, or undefined: every printed line, in order,
 * must be a shown line (runs of blanks count as one space, so tabs and column padding need not be
 * copied; `…` matches any text; a shown line that is only `…` stands for any number of printed lines).
 * Blank lines do not count. Says the first shown line not printed, else the first printed line not shown.
 */
export function outputMismatch(expected: string[], output: string): string | undefined {
  const squeeze = (l: string): string => l.trim().replace(/\s+/g, ' ');
  const actual = output.split('\n').map(squeeze).filter(Boolean);
  const shown = expected.map(squeeze).filter(Boolean);
  const patterns = shown.map((want) => (want === '…' ? undefined : new RegExp(`^${want.split('…').map(escapeRegExp).join('.*')}$`)));
  const failed = new Set<string>();
  const matches = (i: number, j: number): boolean => {
    if (i === shown.length) return j === actual.length;
    const key = `${i},${j}`;
    if (failed.has(key)) return false;
    const re = patterns[i];
    const ok = re ? j < actual.length && re.test(actual[j]!) && matches(i + 1, j + 1) : matches(i + 1, j) || (j < actual.length && matches(i, j + 1));
    if (!ok) failed.add(key);
    return ok;
  };
  if (matches(0, 0)) return undefined;
  // Which line: each shown line at its first match after the previous one.
  let at = 0;
  let gapAllowed = false;
  for (const [i, re] of patterns.entries()) {
    if (!re) {
      gapAllowed = true;
      continue;
    }
    const found = actual.findIndex((l, j) => j >= at && re.test(l));
    if (found < 0) return `output lacks "${shown[i]}"`;
    if (found > at && !gapAllowed) return `output has "${actual[at]}", which the block does not show`;
    at = found + 1;
    gapAllowed = false;
  }
  if (at < actual.length && !gapAllowed) return `output has "${actual[at]}", which the block does not show`;
  return 'output does not match the block';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
