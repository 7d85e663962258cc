"""`python -m kiosk_app`: the same as `arkaden kiosk`."""

from kiosk_app.main import main

raise SystemExit(main())
