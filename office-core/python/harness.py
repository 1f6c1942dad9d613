"""office harness: runs one generated program and records how it ended.

Usage: python -I -B -X utf8 harness.py PROGRAM RESULT

PROGRAM is the program's source (UTF-8). RESULT is a file this script creates and fills
with one JSON object:

    {"ok": bool, "exc_type": str | null, "message": str | null,
     "traceback": str | null, "line": int | null, "errno": int | null,
     "memory_error": bool}

`memory_error` is true for MemoryError and its subclasses (numpy raises one of its own).

The program runs as a fresh `__main__` module compiled under the name "generated.py", so
line numbers and the traceback refer to the program's own lines and the harness frames
are left out. `SystemExit` with code 0 or None counts as success; any other exception,
`SystemExit(n)` included, is reported. The engine sets the environment (INPUT_PATH,
INPUT_PATHS, OUTPUT_DIR, MPLBACKEND=Agg, ...) and the resource limits; this script only
runs and reports.

The engine embeds this file in its binary and writes it out at start-up: edit it here.
"""

import faulthandler
import json
import linecache
import sys
import traceback
import types

PROGRAM_NAME = "generated.py"
MAX_MESSAGE_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: harness.py PROGRAM RESULT\n")
        return 2
    program_path, result_path = sys.argv[1], sys.argv[2]

    # Opened before the program runs, so reporting needs no free file descriptor later;
    # "x" refuses a file or link that is already there.
    result_file = open(result_path, "x", encoding="utf-8")
    with open(program_path, encoding="utf-8") as program_file:
        source = program_file.read()

    # The program is not told where the harness keeps its files.
    sys.argv = [PROGRAM_NAME]
    sys.orig_argv = [sys.executable, PROGRAM_NAME]
    # A crash in a C extension prints the Python stack on stderr before the process dies.
    faulthandler.enable()
    # Lets the traceback show the program's source lines.
    linecache.cache[PROGRAM_NAME] = (len(source), None, source.splitlines(True), PROGRAM_NAME)

    result = run(source)

    try:
        text = json.dumps(result)
    except BaseException:
        text = json.dumps({"ok": result.get("ok", False), "exc_type": result.get("exc_type")})
    result_file.write(text)
    result_file.close()
    return 0 if result["ok"] else 1


def run(source):
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    try:
        code = compile(source, PROGRAM_NAME, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code is None or exc.code == 0:
            return {"ok": True}
        if isinstance(exc.code, int):
            return failure(exc, "exit status %d" % exc.code)
        return failure(exc)
    except BaseException as exc:
        return failure(exc)
    return {"ok": True}


def failure(exc, message=None):
    line = None
    traceback_text = ""
    # Formatting needs memory and calls the exception's own methods: neither may stop
    # the report from being written.
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM_NAME]
        if frames:
            line = frames[-1].lineno
        if isinstance(exc, SyntaxError) and exc.filename == PROGRAM_NAME:
            line = exc.lineno
        parts = []
        if frames:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(frames))
        parts.extend(traceback.format_exception_only(type(exc), exc))
        traceback_text = "".join(parts)
    except BaseException:
        pass
    if message is None:
        message = describe(exc)
    errno = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    return {
        "ok": False,
        "exc_type": type(exc).__name__,
        "message": clip(message, MAX_MESSAGE_CHARS),
        "traceback": clip(traceback_text, MAX_TRACEBACK_CHARS),
        "line": line if isinstance(line, int) else None,
        "errno": errno if isinstance(errno, int) else None,
        "memory_error": isinstance(exc, MemoryError),
    }


def describe(exc):
    try:
        if isinstance(exc, SyntaxError):
            return str(exc.msg)
        return str(exc)
    except BaseException:
        return "(the exception's message could not be turned into text)"


def clip(text, limit):
    text = str(text)
    if len(text) <= limit:
        return text
    # Keep both ends: the start names the problem, the end is where it happened.
    half = limit // 2
    return text[:half] + "\n[... cut ...]\n" + text[-half:]


if __name__ == "__main__":
    sys.exit(main())
