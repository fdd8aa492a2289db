"""Modal and full-screen views: PIN entry, confirmation, photo viewer, help, alarm banner."""
