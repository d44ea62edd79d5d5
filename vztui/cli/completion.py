"""``vztui completion bash|zsh``: small static scripts; node names come from ``vztui nodes list --names``."""

from __future__ import annotations

import argparse
import sys

from vztui.cli import exitcodes

COMMANDS = "ls failing show journal run nodes completion"
NODE_COMMANDS = "list add remove test trust"
OPTIONS = (
    "--help --version --show-config --theme --json --config --read-only --node --refresh --demo --nodes --cts --seed"
)
ACTIONS = "start stop restart mount umount suspend resume destroy set snapshot exec"

BASH = f"""\
# bash completion for vztui; install: vztui completion bash > /etc/bash_completion.d/vztui
_vztui() {{
    local cur prev words cword
    _init_completion 2>/dev/null || {{ cur="${{COMP_WORDS[COMP_CWORD]}}"; prev="${{COMP_WORDS[COMP_CWORD-1]}}"; }}
    case "$prev" in
        --node) COMPREPLY=($(compgen -W "$(vztui nodes list --names 2>/dev/null)" -- "$cur")); return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --transport) COMPREPLY=($(compgen -W "paramiko openssh local" -- "$cur")); return ;;
        nodes) COMPREPLY=($(compgen -W "{NODE_COMMANDS}" -- "$cur")); return ;;
        test|trust|remove) COMPREPLY=($(compgen -W "$(vztui nodes list --names 2>/dev/null)" -- "$cur")); return ;;
        run) COMPREPLY=($(compgen -W "{ACTIONS}" -- "$cur")); return ;;
        completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "{OPTIONS} --filter --since --op --yes --param --window --fingerprint" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "{COMMANDS}" -- "$cur"))
    fi
}}
complete -F _vztui vztui
"""

ZSH = f"""\
#compdef vztui
# zsh completion for vztui; install: vztui completion zsh > "${{fpath[1]}}/_vztui"
_vztui() {{
    local -a commands node_commands
    commands=({COMMANDS})
    node_commands=({NODE_COMMANDS})
    case "${{words[CURRENT-1]}}" in
        --node|test|trust|remove) compadd -- ${{(f)"$(vztui nodes list --names 2>/dev/null)"}}; return ;;
        --config) _files; return ;;
        nodes) compadd -- $node_commands; return ;;
        run) compadd -- {ACTIONS}; return ;;
        completion) compadd -- bash zsh; return ;;
    esac
    if [[ "$PREFIX" == -* ]]; then
        compadd -- {OPTIONS} --filter --since --op --yes --param --window --fingerprint
    else
        compadd -- $commands
    fi
}}
_vztui "$@"
"""


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(BASH if args.shell == "bash" else ZSH)
    return exitcodes.OK
