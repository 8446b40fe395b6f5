import sys

from .cli import main

if __name__ == "__main__":  # not when a sweep's spawned worker imports the main module again
    sys.exit(main())
