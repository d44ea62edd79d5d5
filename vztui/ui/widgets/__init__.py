"""Small widgets that compose into screens, one per module."""
