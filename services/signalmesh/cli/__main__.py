"""`python -m signalmesh.cli …`: the same as the `signalmesh` command."""

from __future__ import annotations

from signalmesh.cli.main import main

if __name__ == "__main__":
    main()
