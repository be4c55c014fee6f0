"""``python -m camvault``: the same as the ``camvault`` command."""

from camvault.cli.main import main

main()
