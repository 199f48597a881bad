#!/usr/bin/env python3
"""Which module of crates/deli/src/runtime uses which, read off the code
(comments and doc comments skipped), and any import loop among them.

Usage: scripts/runtime-imports.py [DIR]   (DIR: another runtime/ folder; prints the edges, then "no import loop"
or each loop found; exits 1 on a loop). The check issue 17 asks for:
arrows inside runtime/ point one way.
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "deli", "src", "runtime"
)


def module_of(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def files():
    for dirpath, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".rs") and "tests" not in name and name != "loom_tests.rs":
                yield os.path.join(dirpath, name)


modules = {module_of(p): p for p in files()}


def resolve(me, is_mod_file, words):
    """The runtime module a path starting with `words` names, if any."""
    here = list(me)
    if words[0] == "crate":
        if words[1:2] != ["runtime"]:
            return None
        here, words = [], words[2:]
    elif words[0] == "self":
        words = words[1:]
    while words and words[0] == "super":
        here, words = here[:-1], words[1:]
    best = tuple(here) if tuple(here) in modules else None
    path = list(here)
    for word in words:
        path.append(word)
        if tuple(path) in modules:
            best = tuple(path)
        else:
            break
    return best


edges = {m: set() for m in modules}
for module, path in modules.items():
    is_mod_file = path.endswith("mod.rs") or module == ()
    code = "\n".join(line for line in open(path) if not line.strip().startswith("//"))
    # A file's test module, last in the file, has a `super` of its own.
    code = re.split(r"\n#\[cfg\([^\]]*test[^\]]*\)\]\s*\nmod \w+ \{", code)[0]
    # Paths, with `use a::{b, c::d}` groups spread out.
    pattern = r"\b((?:crate|super|self)(?:::[A-Za-z_]+)*|[a-z_]+(?:::[A-Za-z_]+)*(?=::))(?:::(\{[^}]*\}))?"
    for match in re.finditer(pattern, code):
        head = match.group(1).split("::")
        groups = [g.strip().split("::") for g in (match.group(2) or "").strip("{}").split(",") if g.strip()]
        for tail in groups or [[]]:
            target = resolve(module, is_mod_file, head + tail)
            if target is not None and target != module:
                edges[module].add(target)

name = lambda m: "/".join(m) or "runtime(mod.rs)"
for module in sorted(edges):
    print(f"{name(module)} -> {', '.join(sorted(name(t) for t in edges[module])) or '-'}")

# A parent's mod.rs declaring its children is not an import; only paths count.
loops, state = [], {}
def visit(node, stack):
    state[node] = 1
    stack.append(node)
    for nxt in edges[node]:
        if state.get(nxt) == 1:
            loops.append(stack[stack.index(nxt):] + [nxt])
        elif nxt not in state:
            visit(nxt, stack)
    stack.pop()
    state[node] = 2
for module in sorted(edges):
    if module not in state:
        visit(module, [])
if loops:
    for loop in loops:
        print("import loop:", " -> ".join(name(m) for m in loop))
    sys.exit(1)
print("no import loop")
