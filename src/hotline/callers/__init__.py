"""What the hotline remembers about callers: a language, by pseudonym, for a while."""
