"""The Textual front end: a guided pre-session check.

Only presents: it consumes the runner's events and the :class:`~sessioncheck.model.Report`,
and takes every word from :mod:`sessioncheck.advice.catalogue`. The core never imports this
package.
"""
