#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its prompts, like a person typing.

usage: tty_driver.py [PROMPT=ANSWER ...] -- COMMAND [ARGS...]

Each answer is typed (with a newline) only after its prompt text appeared, so the exchange does
not depend on timing. Everything the terminal showed is printed on stdout; the exit status is the
command's. A command that stops producing output for 60 s is killed and reported (exit 124).
"""
import os
import pty
import select
import signal
import sys


def main():
    split = sys.argv.index("--")
    exchanges = [arg.split("=", 1) for arg in sys.argv[1:split]]
    command = sys.argv[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = b""
    pending = list(exchanges)
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            sys.stdout.write(seen.decode(errors="replace") + "\n[tty_driver: no output for 60 s]\n")
            return 124
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        while pending and pending[0][0].encode() in seen:
            prompt, answer = pending.pop(0)
            seen_before, _, after = seen.partition(prompt.encode())
            sys.stdout.write((seen_before + prompt.encode()).decode(errors="replace"))
            seen = after
            os.write(fd, answer.encode() + b"\n")
    sys.stdout.write(seen.decode(errors="replace"))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
