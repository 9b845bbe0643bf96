"""Trust audit of a rewritten corpus: before / after scorers (toxicity, bias, ethics, truthfulness,
privacy, refusals) and the release gates that `realign audit` applies (see audit.py)."""
