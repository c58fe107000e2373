"""From a brief and a food table to an explained, checked blend."""
