#!/usr/bin/env python3
"""Wraps C# comments longer than 120 columns, which CSharpier leaves as they are.

Usage: tools/wrap-comments.py FILE.cs...   (run after `dotnet csharpier format`; prints how many it wrapped)

- A one-line `/// <summary>…</summary>` over the width becomes `<summary>`, the text wrapped, `</summary>`.
- Any other `//` or `///` comment line over the width is rewrapped with the lines of its paragraph: the neighbouring
  comment lines of the same indentation, up to a line that is only a tag, a line that opens a doc element
  (<param>, <returns>, <remarks>, …) or one that closes it. Paragraphs holding <code>, <list>, <item> or lines that
  look like a list (`- `, `1. `) are left alone: their line breaks mean something.
XML tags are never cut in two. Only comments change, so the code (and CSharpier's check) is untouched.
"""
import re
import sys

WIDTH = 120
LONE_TAG = re.compile(r"^</?(summary|remarks|returns|para|example|value)>$|^<(param|typeparam|exception)\b[^>]*>$")
OPENS = re.compile(r"^<(param|typeparam|returns|exception|remarks|summary|para|example|value|seealso)\b")
CLOSES = re.compile(r"</(param|typeparam|returns|exception|remarks|summary|para|example|value)>$|/>$")
KEEP_BREAKS = re.compile(r"<code>|</code>|<list|<item|<br|^\s*[-*•] |^\s*\d+[.)] |^\s*\|")
SUMMARY = re.compile(r"^(\s*)/// <summary>(.*)</summary>\s*$")
COMMENT = re.compile(r"^(\s*)(///|//) (.*)$")


def words(text):
    """Words, with each XML tag (spaces and all) kept whole and glued to what touches it."""
    return re.findall(r"(?:<[^>]*>|[^\s<])+", text)


def fill(prefix, text):
    lines, current = [], ""
    for word in words(text):
        candidate = f"{current} {word}" if current else word
        if len(prefix) + len(candidate) > WIDTH and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [prefix + line for line in lines]


def wrap(lines):
    changed = 0
    out = []
    for line in lines:
        m = SUMMARY.match(line)
        if len(line) > WIDTH and m:
            prefix = m.group(1) + "/// "
            out += [prefix + "<summary>", *fill(prefix, m.group(2).strip()), prefix + "</summary>"]
            changed += 1
        else:
            out.append(line)
    lines = out

    parsed = [(m.group(1), m.group(2), m.group(3)) if (m := COMMENT.match(line)) else None for line in lines]

    def text(j):
        return parsed[j][2].strip()

    result = list(lines)
    done = [False] * len(lines)
    for i, line in enumerate(lines):
        if len(line) <= WIDTH or parsed[i] is None or done[i]:
            continue
        indent, marker, _ = parsed[i]

        def same(j):
            p = parsed[j]
            return p is not None and p[0] == indent and p[1] == marker and text(j) != "" and not LONE_TAG.match(text(j))

        if not same(i):
            continue
        first = i
        while first > 0 and same(first - 1) and not OPENS.match(text(first)) and not CLOSES.search(text(first - 1)):
            first -= 1
        last = i
        while (last + 1 < len(lines) and same(last + 1) and not CLOSES.search(text(last))
               and not OPENS.match(text(last + 1))):
            last += 1
        paragraph = [text(j) for j in range(first, last + 1)]
        if any(KEEP_BREAKS.search(t) for t in paragraph):
            continue
        for j in range(first, last + 1):
            done[j] = True
            result[j] = None
        result[first] = "\n".join(fill(indent + marker + " ", " ".join(paragraph)))
        changed += 1
    return [line for line in result if line is not None], changed


def main(paths):
    total = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        wrapped, changed = wrap(lines)
        if changed:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(wrapped))
            total += changed
    print(f"{total} comments wrapped", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
