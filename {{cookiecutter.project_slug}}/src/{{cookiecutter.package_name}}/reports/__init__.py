"""Reports for people: `facts` gathers what they say (git, uv, MLflow, the pipeline's files),
`markdown` renders it (pure)."""
