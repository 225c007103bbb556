"""Let ``python -m web.cli`` run the command line, as the benchmarks do."""

from web.cli import main

main()
