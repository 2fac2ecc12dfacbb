// Doc snippets use paths relative to the current directory and write to the console, both
// process-wide; the tests therefore run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
