"""`python -m signalmesh.gateway --config signalmesh.toml` (the same as `signalmesh gateway`)."""

import sys

from signalmesh.cli import main

if __name__ == "__main__":
    main(["gateway", *sys.argv[1:]])
