"""The run app's command line, put in the one order Hydra's parser accepts.

Hydra parses its command line with plain ``argparse``: the overrides are one positional list, so
``benchmark=x --cfg job seed=1`` stops at ``--cfg job`` and calls ``seed=1`` an unrecognized argument.
People (and the framework, which adds the detected ``hardware=``) put overrides anywhere, so the run
app sorts the command line first: Hydra's own options (with their values, read from Hydra's own parser
so nothing here goes stale), then every override in the order given.
"""

from __future__ import annotations

import argparse
from typing import Dict, List, Sequence, Tuple

#: flags that never start a run: no hardware detection (it costs a machine probe) for them
NO_RUN_FLAGS = ("--help", "-h", "--hydra-help", "--version", "--shell-completion", "-sc")


def _hydra_options() -> Dict[str, argparse.Action]:
    from hydra._internal.utils import get_args_parser

    return {flag: action for action in get_args_parser()._actions for flag in action.option_strings}


def split(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """``(hydra_options, overrides)``: each option keeps its value; overrides keep their order."""
    actions = _hydra_options()
    options: List[str] = []
    overrides: List[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        flag, eq, _ = arg.partition("=")
        action = actions.get(flag) if arg.startswith("-") else None
        if action is None:
            overrides.append(arg)  # an override, or an unknown flag Hydra reports itself
        else:
            options.append(arg)
            takes = action.nargs is None and not isinstance(action, (argparse._StoreTrueAction,
                                                                     argparse._VersionAction))
            optional = action.nargs == "?"
            if not eq and i + 1 < len(argv):
                nxt = argv[i + 1]
                if (takes and not nxt.startswith("-")) or (optional and nxt in (action.choices or ())):
                    options.append(nxt)
                    i += 1
        i += 1
    return options, overrides


def ordered(argv: Sequence[str], extra_overrides: Sequence[str] = ()) -> List[str]:
    """``argv`` as Hydra accepts it: options first, then the overrides, then ``extra_overrides``."""
    options, overrides = split(argv)
    return options + overrides + list(extra_overrides)


def starts_no_run(argv: Sequence[str]) -> bool:
    """True for ``--help``, ``--hydra-help``, ``--version`` and shell completion queries."""
    return any(a.partition("=")[0] in NO_RUN_FLAGS for a in argv)


__all__ = ["split", "ordered", "starts_no_run"]
