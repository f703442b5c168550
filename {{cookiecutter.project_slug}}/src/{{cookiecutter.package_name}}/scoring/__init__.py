"""Batch scoring (`make score`): a file or folder of rows in, a Parquet table of predictions out.

`batches` is the pure core (a chunk of rows -> validated features -> a predictions table);
`run` is the edge around it (the input files, the model from the registry, the Parquet writer).
"""
