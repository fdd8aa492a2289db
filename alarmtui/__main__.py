from alarmtui.cli import main

raise SystemExit(main())
