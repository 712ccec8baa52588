"""``python -m ilrs`` runs the command line."""

import sys

from ilrs.cli import main

sys.exit(main())
