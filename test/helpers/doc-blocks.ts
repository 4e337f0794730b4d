// Reads the shell examples out of a Markdown document, for test/docs-commands.test.ts.
//
// - ```sh / ```bash blocks are scripts; ```console blocks are `$ command` lines (a line ending in `\`
//   continues on the next) followed by the output they print, which the test checks (`…` matches anything).
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
 * Whether the expected lines appear in `output`, in order, each matching one whole line (runs of
 * blanks count as one space, so tabs and column padding need not be copied; `…` matches any text).
 * Returns the first expected line not found, or undefined.
 */
export function missingOutput(expected: string[], output: string): string | undefined {
  const squeeze = (l: string): string => l.trim().replace(/\s+/g, ' ');
  const actual = output.split('\n').map(squeeze);
  let at = 0;
  for (const want of expected) {
    const re = new RegExp(`^${squeeze(want).split('…').map(escapeRegExp).join('.*')}$`);
    const found = actual.findIndex((l, j) => j >= at && re.test(l));
    if (found < 0) return want;
    at = found + 1;
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
