"""Pattern analysis of the smart-home events (issue 15): what recurs, what follows what, what deviates."""
