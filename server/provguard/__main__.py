from provguard.cli import main

raise SystemExit(main())
