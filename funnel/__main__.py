"""``python -m funnel``: see funnel.cli."""

from funnel.cli import main

raise SystemExit(main())
