"""The proof of the Generic Adam bound as executable checks, one module per lemma.

Empty for now: the derivation and its checks are the subject of a later piece of work.
"""
