#!/usr/bin/env python3
"""run_on_tty.py OUT -- COMMAND [ARGS...]: runs COMMAND with its stderr on a pseudo-terminal (so
isatty(2) is true) and stdin/stdout inherited; everything written to the terminal is saved to OUT
byte for byte. Exits with COMMAND's status."""
import os
import pty
import subprocess
import sys


def main():
    out, command = sys.argv[1], sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, stderr=slave)
    os.close(slave)
    captured = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        captured += chunk
    status = proc.wait()
    os.close(master)
    with open(out, "wb") as f:
        f.write(captured)
    return status


if __name__ == "__main__":
    sys.exit(main())
