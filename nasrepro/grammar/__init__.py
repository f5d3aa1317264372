"""Grammar-based hierarchical search spaces (Schrodi et al., seed 003): CFGs over algebraic architecture
terms (``cfg``), terms and their graphs (``terms``), the shipped grammars (``grammars``) and the
(hierarchical) Weisfeiler-Lehman kernel of BANAT (``kernel``)."""
