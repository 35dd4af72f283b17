#!/usr/bin/env python3
"""Fails when a C# line is longer than the limit (default 120 characters), except where no formatter can cut it: a
line holding a string literal, a line inside a multi-line raw string (SQL, scripts, expected output), or a line
holding an identifier of 60 characters or more (a test named by the behaviour it checks).

Usage: tools/check-line-length.py [--limit N] [FILE...]   (default: every tracked *.cs file)
"""
import re
import subprocess
import sys

LONG_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{59,}\b")


def long_lines(path, limit):
    in_raw = False
    with open(path, encoding="utf-8") as source:
        for number, line in enumerate(source, 1):
            line = line.rstrip("\n")
            quotes = line.count('"""')
            inside = in_raw or quotes > 0
            if quotes % 2 == 1:
                in_raw = not in_raw
            if len(line) > limit and not inside and '"' not in line and not LONG_NAME.search(line):
                yield number, len(line)


def main(argv):
    limit = 120
    if argv[:1] == ["--limit"]:
        limit, argv = int(argv[1]), argv[2:]
    files = argv or subprocess.run(
        ["git", "ls-files", "*.cs"], check=True, capture_output=True, text=True
    ).stdout.split()
    found = 0
    for path in files:
        for number, length in long_lines(path, limit):
            print(f"{path}:{number}: {length} characters (the limit is {limit})")
            found += 1
    if found:
        print(f"{found} line(s) longer than {limit} characters outside string literals", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
