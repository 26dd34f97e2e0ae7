"""`python -m simulate`: the simulated day on its own (also `python -m server simulate`)."""

from simulate.cli import simulate_command

if __name__ == "__main__":
    simulate_command(prog_name="python -m simulate")
