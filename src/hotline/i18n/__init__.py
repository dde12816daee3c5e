"""Languages, catalogs and translators: words are data."""
