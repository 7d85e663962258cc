"""`python -m arkaden_cli` is the `arkaden` command."""

from arkaden_cli.main import main

raise SystemExit(main())
