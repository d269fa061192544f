"""Studies as data: each module holds one chapter's typed presets and the functions that turn a preset into
the runs it needs (`plan`), so that a notebook, the command line and a remote sweep ask for the same runs."""
