"""Neural generators (built in the generation-engine issue); imports app.core only."""
