/**
 * The layout of every --help: two spaces, a 27-column flag, its text wrapped at 100 columns. Lines for
 * the table's options are made from their rows (doc, range, default), so no help restates a range.
 */
import { listOf, optionRow, type OptionName, type OptionRow } from '../core/option-table.js';

const INDENT = '  ';
const FLAG_COLUMN = 27;
const WIDTH = 100;

/** One flag and its text, wrapped under the text column. */
export function helpLine(syntax: string, text: string): string {
  const pad = ' '.repeat(INDENT.length + FLAG_COLUMN);
  const first = syntax.length < FLAG_COLUMN ? INDENT + syntax.padEnd(FLAG_COLUMN) : `${INDENT}${syntax}\n${pad}`;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && pad.length + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return first + lines.join(`\n${pad}`);
}

/** "-k, --k <K>", "--seed <n>". */
export function flagSyntax(row: OptionRow): string {
  const flag = row.flag!;
  return `${flag.short ? `-${flag.short}, ` : ''}--${flag.name} ${flag.arg}`;
}

/** The values a flag takes, as help shows them: "1-65536", ">= 0", "auto, wasm or js". */
export function cliValues(row: OptionRow): string {
  const { rule } = row;
  if (row.flag?.values) return row.flag.values;
  switch (rule.kind) {
    case 'integer': return `${rule.min}-${rule.max}`;
    case 'number': return rule.max === undefined ? `>= ${rule.min}` : `${rule.min} to ${rule.max}`;
    case 'choice': return listOf(rule.choices.map(String));
    default: return '';
  }
}

/** The default as help shows it: "8", "kmeans++", "every core". */
export function cliDefault(row: OptionRow): string {
  return row.defaultText ?? String(row.default);
}

/**
 * The help lines of the table options a command takes, one per option in the order given.
 * `texts` replaces an option's text where the command gives it another meaning (apply's --color-space).
 */
export function optionLines(names: readonly OptionName[], texts: Partial<Record<OptionName, string>> = {}): string {
  return names.map((name) => {
    const row = optionRow(name);
    return helpLine(flagSyntax(row), texts[name] ?? `${row.flag?.doc ?? row.doc} (${cliValues(row)}; default ${cliDefault(row)})`);
  }).join('\n');
}
