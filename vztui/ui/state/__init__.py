"""Pure dashboard state: columns, sorting, marks, the failing-now ranking, node drift. No Textual here."""
