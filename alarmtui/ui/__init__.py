"""The Textual dashboard: `app` (factory and wiring), `widgets/` (one per panel), `screens/` (modals, viewer)."""
