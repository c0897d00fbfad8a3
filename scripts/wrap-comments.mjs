#!/usr/bin/env node
// Re-wraps comment lines longer than 120 characters, which Biome's formatter leaves as they are. Deterministic and
// idempotent: only a line over the limit starts a change, so a second run changes nothing.
//
//   node scripts/wrap-comments.mjs [--check] [--max=120] [path…]
//
// Comments are found by the TypeScript parser, so code and strings are never touched. What it does:
// - `//` comment lines and the lines of `/* … */` and `/** … */` comments: a long line is broken at the last
//   space that fits, keeping its indentation and its `// ` or ` * ` prefix (and a list item's hanging indent); the
//   rest goes to the front of the next line when that line continues the same paragraph, else onto a new line.
// - A long single-line `/** … */` alone on its line becomes a multi-line block.
// - A `//` comment after code, on a line that is too long, moves onto its own line(s) above that code.
// It never breaks inside a URL (breaks are at spaces only), inside a `code span` unless no other break fits,
// or so that a new line starts with `@`, a list marker, `|` or a fence. Left alone: directives (`///`,
// `// biome-ignore`, `// @ts-…`, `//#`), fenced code and `@example` sections, indented (preformatted) lines,
// table rows, and anything it cannot break; scripts/check-line-length.mjs reports what is still long.
// --check prints the files it would change and exits 1 if any.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from './lib/source-files.mjs';

const args = process.argv.slice(2);
const MAX = Number(args.find((a) => a.startsWith('--max='))?.slice('--max='.length) ?? 120);
const check = args.includes('--check');
const paths = args.filter((a) => !a.startsWith('--'));
const root = fileURLToPath(new URL('..', import.meta.url));

const width = (s) => [...s].length;
const DIRECTIVE = /^\/\/(\/|#|!|\s*(biome-ignore|@ts-|eslint-|prettier-ignore|istanbul|c8 |v8 ))/;
const LIST_ITEM = /^([-*+]|\d+[.)]) +/;
// What a wrapped line must not start with, lest it read as a tag, a list item, a table row, a quote or a fence.
const BAD_START = /^(@|[-*+] |\d+[.)] |\||> |#|```|\*\/)/;

/** Every comment in the file, as [pos, end, kind], found from the tokens' leading and trailing trivia. */
function commentRanges(sf) {
  const text = sf.text;
  const seen = new Map();
  const add = (ranges) => {
    for (const r of ranges ?? []) if (!seen.has(r.pos)) seen.set(r.pos, r);
  };
  const visit = (node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(sf);
    if (children.length === 0) {
      add(ts.getLeadingCommentRanges(text, node.pos));
      add(ts.getTrailingCommentRanges(text, node.end));
    }
    for (const child of children) visit(child);
  };
  visit(sf);
  add(ts.getLeadingCommentRanges(text, sf.endOfFileToken.pos));
  return [...seen.values()].sort((a, b) => a.pos - b.pos);
}

/** Ranges of tokens that span lines (template and string literals), inside which a line does not start code. */
function multilineTokens(sf) {
  const ranges = [];
  const visit = (node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(sf);
    if (children.length === 0) {
      const start = node.getStart(sf);
      if (sf.text.slice(start, node.end).includes('\n')) ranges.push([start, node.end]);
    }
    for (const child of children) visit(child);
  };
  visit(sf);
  return ranges;
}

/** Positions where `content` may break (indexes of spaces), best first, or [] if none fits in `room`. */
function breakAt(content, room) {
  let inCode = false;
  const outside = [];
  const inside = [];
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (c === '`') inCode = !inCode;
    else if (c === ' ' && i > 0 && content[i - 1] !== ' ') (inCode ? inside : outside).push(i);
  }
  const fits = (i) => width(content.slice(0, i)) <= room;
  const ok = (i) => {
    const tail = content.slice(i).trimStart();
    return tail.length > 0 && !BAD_START.test(tail) && content.slice(0, i).trim().length > 0;
  };
  const pick = (list) => list.filter((i) => fits(i) && ok(i)).reverse();
  return [...pick(outside), ...pick(inside)];
}

/**
 * Wraps one paragraph-structured list of comment lines. Each line is { prefix, content, keep } where prefix is
 * everything before the text (indentation and `// ` or ` * `) and content is the text; `keep` lines are never
 * changed nor merged into. `next(prefix)` gives the prefix of a line added after a line with that prefix.
 */
function wrapLines(lines) {
  const out = [];
  const queue = lines.map((l) => ({ ...l }));
  let hang = 0; // the hanging indent of the list item the current line belongs to
  while (queue.length) {
    const line = queue.shift();
    const lead = line.content.length - line.content.trimStart().length;
    const item = LIST_ITEM.exec(line.content.trimStart());
    if (line.keep || line.content.trim() === '') {
      hang = 0;
      out.push(line);
      continue;
    }
    if (item) hang = lead + item[0].length;
    else if (lead === 0) hang = 0;
    else if (lead !== hang) {
      out.push(line); // indented beyond any list item: preformatted
      continue;
    }
    if (width(line.prefix + line.content) <= MAX) {
      out.push(line);
      continue;
    }
    const indent = item ? hang : lead;
    const body = line.content.slice(lead);
    const [at] = breakAt(body, MAX - width(line.prefix) - lead);
    if (at === undefined) {
      out.push(line);
      continue;
    }
    out.push({ ...line, content: line.content.slice(0, lead) + body.slice(0, at).trimEnd() });
    const tail = body.slice(at).trimStart();
    const following = queue[0];
    const continues =
      following &&
      !following.keep &&
      following.prefix === line.next &&
      following.content.trim() !== '' &&
      following.content.length - following.content.trimStart().length === indent &&
      !BAD_START.test(following.content.trimStart()) &&
      !LIST_ITEM.test(following.content.trimStart());
    if (continues) following.content = ' '.repeat(indent) + tail + ' ' + following.content.trimStart();
    else queue.unshift({ prefix: line.next, next: line.next, content: ' '.repeat(indent) + tail, keep: false });
  }
  return out;
}

/** Marks fenced code and @example sections as kept. */
function keepPreformatted(lines) {
  let fence = false;
  let example = false;
  for (const line of lines) {
    const t = line.content.trim();
    if (t.startsWith('```')) {
      fence = !fence;
      line.keep = true;
      continue;
    }
    if (t.startsWith('@')) example = t.startsWith('@example');
    if (fence || example || t.startsWith('|')) line.keep = true;
  }
  return lines;
}

export function wrapComments(text, fileName) {
  const kind = /\.[cm]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const lineStarts = sf.getLineStarts();
  const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line;
  const lineEnd = (line) => (line + 1 < lineStarts.length ? lineStarts[line + 1] - 1 : text.length);
  const lineText = (line) => text.slice(lineStarts[line], lineEnd(line)).replace(/\r$/, '');
  const edits = []; // [start, end, replacement], non-overlapping
  const comments = commentRanges(sf);
  let tokens;

  // Runs of own-line `//` comments at one indentation on consecutive lines.
  const runs = [];
  for (const c of comments) {
    const line = lineOf(c.pos);
    const before = text.slice(lineStarts[line], c.pos);
    const own = before.trim() === '';
    if (c.kind === ts.SyntaxKind.SingleLineCommentTrivia && own) {
      const last = runs.at(-1);
      if (last && last.line + last.lines.length === line && last.indent === before) last.lines.push(c);
      else runs.push({ line, indent: before, lines: [c] });
      continue;
    }
    if (c.kind === ts.SyntaxKind.SingleLineCommentTrivia) {
      // A trailing comment: moved above its code if the line is too long.
      if (width(lineText(line)) <= MAX || DIRECTIVE.test(text.slice(c.pos, c.end))) continue;
      tokens ??= multilineTokens(sf);
      const start = lineStarts[line];
      if (tokens.some(([s, e]) => s < start && start < e)) continue; // the line starts inside a template
      if (comments.some((o) => o.pos < start && start < o.end)) continue;
      // A directive on the line above (`// @ts-expect-error`, `// biome-ignore`) must stay next to its code.
      if (
        line > 0 &&
        DIRECTIVE.test(
          lineText(line - 1)
            .trim()
            .replace(/^\/\*+/, '//'),
        )
      )
        continue;
      const indent = /^\s*/.exec(before)[0];
      const lines = wrapLines([
        { prefix: `${indent}// `, next: `${indent}// `, content: text.slice(c.pos + 2, c.end).trim(), keep: false },
      ]);
      const comment = lines.map((l) => (l.prefix + l.content).trimEnd()).join('\n');
      edits.push([start, c.end, `${comment}\n${before.trimEnd()}`]);
      continue;
    }
    // A block comment.
    const first = line;
    const last = lineOf(c.end);
    const after = text.slice(c.end, lineEnd(last)).trim();
    const raw = text.slice(c.pos, c.end);
    if (first === last) {
      // `/** one line */`: made multi-line when alone on a too-long line.
      if (!own || after !== '' || width(lineText(line)) <= MAX || !raw.startsWith('/**') || raw.startsWith('/***'))
        continue;
      const inner = raw.slice(3, -2).trim();
      const lines = wrapLines(
        keepPreformatted([{ prefix: `${before} * `, next: `${before} * `, content: inner, keep: false }]),
      );
      const body = lines.map((l) => (l.prefix + l.content).trimEnd()).join('\n');
      edits.push([c.pos, c.end, `/**\n${body}\n${before} */`]);
      continue;
    }
    // A multi-line block comment, alone on its first line.
    if (!own) continue;
    let long = false;
    for (let l = first; l <= last; l++) if (width(lineText(l)) > MAX) long = true;
    if (!long) continue;
    const parts = raw.split('\n');
    const starIndent = /^(\s*)\*/.exec(parts[1] ?? '')?.[1] ?? `${before} `;
    const lines = parts.map((p, i) => {
      if (i === 0) {
        const m = /^\/\*\*?\s?/.exec(p);
        return { prefix: before + m[0], next: `${starIndent}* `, content: p.slice(m[0].length), keep: p === m[0] };
      }
      if (i === parts.length - 1 && /^\s*\*\/$/.test(p)) return { prefix: '', next: '', content: p, keep: true };
      const star = /^(\s*)\*(?!\/)( ?)/.exec(p);
      if (star) return { prefix: star[0], next: `${star[1]}* `, content: p.slice(star[0].length), keep: false };
      const plain = /^\s*/.exec(p)[0];
      return { prefix: plain, next: plain, content: p.slice(plain.length), keep: false };
    });
    // Text before the closing `*/` on the last line: wrapped without it, and it goes back after the last piece.
    const end = lines.at(-1);
    let closing = '';
    if (!end.keep) {
      closing = end.content.slice(end.content.lastIndexOf('*/'));
      end.content = end.content.slice(0, end.content.lastIndexOf('*/')).trimEnd();
    }
    const wrapped = wrapLines(keepPreformatted(lines)).map((l) => (l.prefix + l.content).trimEnd());
    if (closing) wrapped[wrapped.length - 1] += ` ${closing}`;
    edits.push([lineStarts[first], c.end, wrapped.join('\n')]);
  }
  for (const run of runs) {
    let long = false;
    for (let l = run.line; l < run.line + run.lines.length; l++) if (width(lineText(l)) > MAX) long = true;
    if (!long) continue;
    const lines = run.lines.map((c) => {
      const raw = text.slice(c.pos, c.end).replace(/\r$/, '');
      if (DIRECTIVE.test(raw)) return { prefix: run.indent, next: `${run.indent}// `, content: raw, keep: true };
      const m = /^\/\/ ?/.exec(raw);
      return { prefix: run.indent + m[0], next: `${run.indent}// `, content: raw.slice(m[0].length), keep: false };
    });
    const wrapped = wrapLines(keepPreformatted(lines));
    const start = lineStarts[run.line];
    const end = run.lines.at(-1).end;
    edits.push([start, end, wrapped.map((l) => (l.prefix + l.content).trimEnd()).join('\n')]);
  }
  edits.sort((a, b) => b[0] - a[0]);
  let result = text;
  for (const [start, end, replacement] of edits) result = result.slice(0, start) + replacement + result.slice(end);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let changed = 0;
  for (const file of sourceFiles(root, paths)) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    if (text.includes('\r')) continue; // LF files only (biome.jsonc: lineEnding lf)
    const wrapped = wrapComments(text, file);
    if (wrapped === text) continue;
    changed++;
    if (check) console.log(`${file}: comments to wrap`);
    else writeFileSync(path, wrapped);
  }
  if (check && changed) {
    console.error(`${changed} file(s) have comments over ${MAX} characters that wrap-comments.mjs would wrap.`);
    process.exit(1);
  }
  if (!check) console.log(`wrap-comments: ${changed} file(s) changed`);
}
