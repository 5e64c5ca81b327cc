from mastra.cli import main

raise SystemExit(main())
