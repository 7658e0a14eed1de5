"""``sessioncheck serve``: signalling and reflector peers for path tests."""
