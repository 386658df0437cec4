import sys

from fastact._cli import main

sys.exit(main())
