#!/usr/bin/env python3
"""Checks that the backend library exports its public API and nothing else:
every global symbol nm finds defined in libwlr-spice.a must be a function
declared in backend/include/wlr_spice.h, and every such function must be
there. Usage: check_exports.py NM LIBRARY HEADER"""

import re
import subprocess
import sys


def api_functions(header):
    with open(header) as f:
        text = f.read()
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    text = re.sub(r'^#.*?(?<!\\)$', '', text, flags=re.M | re.S)
    return set(re.findall(r'\b(wlr_\w+)\s*\(', text))


def exported(nm, library):
    out = subprocess.run([nm, '--defined-only', '--extern-only', library],
                         check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        # "ADDRESS TYPE NAME"; skip the "member.o:" headers and blank lines
        if len(fields) == 3:
            names.add(fields[2])
    return names


def main():
    nm, library, header = sys.argv[1:4]
    api = api_functions(header)
    if not api:
        print(f'{header}: no functions found', file=sys.stderr)
        return 1
    names = exported(nm, library)
    extra = sorted(names - api)
    missing = sorted(api - names)
    for name in extra:
        print(f'exported but not in {header}: {name}')
    for name in missing:
        print(f'declared in {header} but not exported: {name}')
    print(f'{len(names)} global symbols, {len(api)} API functions')
    return 1 if extra or missing else 0


if __name__ == '__main__':
    sys.exit(main())
