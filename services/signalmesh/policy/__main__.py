"""`python -m signalmesh.policy --config signalmesh.toml` (the same as `signalmesh policy`)."""

import sys

from signalmesh.cli import main

if __name__ == "__main__":
    main(["policy", *sys.argv[1:]])
