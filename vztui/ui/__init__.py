"""The Textual dashboard: app, screens, widgets, the action registry and styles. It renders and sends intents."""
