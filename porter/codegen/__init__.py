"""Target-neutral generation of Python source; targets supply only their tables."""
