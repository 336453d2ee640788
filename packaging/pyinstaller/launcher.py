"""The bundle's entry point: the same `pressroom` command a wheel installs."""

from pressroom.cli import main

raise SystemExit(main())
