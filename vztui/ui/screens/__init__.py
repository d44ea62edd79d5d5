"""Full-screen views and modal dialogs."""
