"""hotline: the backend of a multilingual emergency hotline."""
