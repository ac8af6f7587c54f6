"""Run plumbing, apart from the domain modules: the Dagster instance runs record into, and how the
`btcflows` command executes the jobs of the Definitions."""
