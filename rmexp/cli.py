"""`rmexp <command> ...`: one name for every entry point, each also installed as `rmexp-<command>`.

The command's own arguments follow unchanged (Hydra overrides for train, eval, score and bon; plain
options for compare), so `rmexp train loss=hinge` is `rmexp-train loss=hinge`.
"""

import importlib
import sys
from importlib.metadata import version

from rich.console import Console
from rich.markup import escape

COMMANDS = {
    "train": ("rmexp.train", "train a reward model (Hydra overrides; --multirun for sweeps)"),
    "eval": ("rmexp.evaluate", "evaluate a trained model on any data config"),
    "score": ("rmexp.score", "add a reward to every row of a JSON Lines file"),
    "compare": ("rmexp.compare.cli", "compare the variants of one or more sweeps across seeds"),
    "bon": ("rmexp.bon.command", "best-of-n on the lab: proxy against gold reward"),
}


def usage() -> str:
    lines = ["usage: rmexp <command> [arguments]", "", "commands:"]
    lines += [f"  {name:<8} {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(usage())
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    name = sys.argv[1]
    if name in ("-V", "--version"):
        print(f"rmexp {version('rmexp')}")
        sys.exit(0)
    if name not in COMMANDS:
        message = escape(f"unknown command {name!r}\n{usage()}")  # "[arguments]" is text, not Rich markup
        Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
        sys.exit(2)
    module = importlib.import_module(COMMANDS[name][0])
    sys.argv = [f"rmexp-{name}", *sys.argv[2:]]
    getattr(module, "cli", module.main)()  # an installed command's own entry, where it has one


if __name__ == "__main__":
    main()
