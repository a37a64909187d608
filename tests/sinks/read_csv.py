#!/usr/bin/env python3
"""Reads CSV files with Python's csv module (an independent RFC 4180 reader)
and prints their rows as JSON, for the sink tests.

    read_csv.py DELIMITER FILE          -> [[cell, ...], ...]
    read_csv.py DELIMITER FILE FILE...  -> [[[cell, ...], ...], ...] (one per file)
"""
import csv
import json
import sys


def rows(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=delimiter, strict=True))


delimiter, paths = sys.argv[1], sys.argv[2:]
out = rows(paths[0], delimiter) if len(paths) == 1 else [rows(p, delimiter) for p in paths]
json.dump(out, sys.stdout, ensure_ascii=False)
