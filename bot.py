"""Entry point: the Discord bot when DISCORD_TOKEN is set, the terminal front ends otherwise.

python bot.py                 Discord, or the console chat without a token
python bot.py ask "QUESTION"  one answer; --json for the machine-readable contract
python bot.py console         interactive chat in the terminal
python bot.py check           validate knowledge/
python bot.py eval            answer quality on the evaluation questions
"""

from __future__ import annotations

import sys

from dotenv import load_dotenv

from engine import cli


def main() -> int:
    load_dotenv()
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
