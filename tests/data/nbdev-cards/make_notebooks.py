import nbformat as nbf
from pathlib import Path
def nb(cells):
    n = nbf.v4.new_notebook()
    n.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    for i, (kind, src) in enumerate(cells):
        c = nbf.v4.new_code_cell(src) if kind == "code" else nbf.v4.new_markdown_cell(src) if kind=="md" else nbf.v4.new_raw_cell(src)
        c.id = f"c{i:03d}"
        n.cells.append(c)
    return n
Path("nbs").mkdir(exist_ok=True)
nbf.write(nb([
 ("md", "# Core\n\n> The core of the cards library\n\n- order: 1"),
 ("code", "#| default_exp core"),
 ("code", "#| export\nfrom __future__ import annotations"),
 ("code", "#| export\nimport re\nfrom cards.util import helper, patch\nfrom cards import util"),
 ("md", "#| export\nThe suits, in order."),
 ("code", "#| export\nSUITS = ['♣', '♦', '♥', '♠']\nRANKS: list = [None, 'A'] + [str(n) for n in range(2, 11)]\n_private = 1\na, (b, c) = 1, (2, 3)"),
 ("code", "#| exporti\nfrom cards.util import internal\n\ndef _hidden(): return 1\n\ndef internal_fn(): return 2"),
 ("code", "#| exports\nclass Card:\n    \"A playing card\"\n    def __init__(self, suit=0, rank=1): self.suit, self.rank = suit, rank\n    def __str__(self): return f\"{RANKS[self.rank]}{SUITS[self.suit]}\""),
 ("code", "#|export\n\n@patch\ndef extra(self: Card): return 1\n\n_all_ = ['_hidden', internal_fn]"),
 ("code", "c = Card(suit=1, rank=3)\nassert str(c) == '3♦'"),
 ("code", "#| eval: false\nraise RuntimeError('never run')"),
 ("code", "#| notest\nraise RuntimeError('flagged')"),
 ("code", "#| hide\nassert helper(2) == 4"),
 ("code", "!ls\n"),
]), "nbs/00_core.ipynb")
nbf.write(nb([
 ("md", "# Utilities"),
 ("code", "#| default_exp util"),
 ("code", "#| export\ndef helper(x):\n    return x * 2\n\ndef internal(): pass\n\ndef patch(f): return f"),
 ("code", "assert helper(3) == 6"),
]), "nbs/01_util.ipynb")
nbf.write(nb([
 ("md", "# Deck"),
 ("code", "#| default_exp deck.base"),
 ("code", "#| export\nfrom cards.core import Card"),
 ("code", "#| export\nclass Deck:\n    def __init__(self): self.cards = [Card(s, r) for s in range(4) for r in range(1, 14)]\n    def __len__(self): return len(self.cards)"),
 ("code", "assert len(Deck()) == 52"),
]), "nbs/02_deck.ipynb")
nbf.write(nb([("code", "#| default_exp skipped\n"), ("code", "#| export\nX = 1")]), "nbs/_draft.ipynb")
