"""Query-based search strategies (registered in ``nasrepro.query.STRATEGIES``)."""
