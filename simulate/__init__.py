"""A simulated 311 day against a running server (`python -m simulate`, or `python -m server
simulate`), an HTTP and Socket.IO client of its public API that imports nothing of the server
but geo's datums and distances (scenario: what happens when and where; agents: the people;
ledger: what they saw and the summary; run: one run; cli: the command)."""
