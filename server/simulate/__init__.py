"""`python -m server simulate`: a simulated 311 day against a running server, through its public
API and sockets only (scenario: what happens when and where; agents: the people; ledger: what
they saw and the summary; run: one run; cli: the command)."""
