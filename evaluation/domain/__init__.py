"""The domain evaluation set: Italian queries of municipal officials over corpus/_sources, in BEIR layout.

Files under evaluation/datasets/domain/ (see the README there), and the module that makes each:
  corpus.jsonl    one line per source document, rebuilt from corpus/_sources      `corpus`   (no model)
  queries.jsonl   the hand-written queries, with their kind in `metadata`          hand-made
  pool.jsonl      per query, the documents the product retrieved in each mode     `pooling`  (loads the model)
  judgments.tsv   every graded (query, document) pair, zeros included             hand-made
  qrels/*.tsv     graded qrels (score >= 1) for all queries, the dev and the test half   `split`

`files` says where they live and reads them; `python -m evaluation.domain_set` is the command line.
"""
